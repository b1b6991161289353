import 'reflect-metadata';
import { LANES, loadConfigOrExit } from '@spillway/config';
import { acceptedTotals, buildReport, inRates, openSources, reportText, traceEvent, traceText } from '@spillway/ops';
import { cliFlags } from './flags';

const HELP = `usage: npm run status -- [--json] [--hetzner-url URL] [--eks-url URL] [--metrics-url URL[,URL...]]
                         [--sample SECONDS] [--traffic FILE] [--dead-letters N]
       npm run status -- --event ID [--json]

Per lane (${LANES.join(', ')}): depth (waiting, delayed, active), age of the oldest waiting event,
in and out rates, dead letters with their last error; the cutover weights and both sides'
readiness. Reads the same environment as the apps (QUEUE_DRIVER, REDIS_URL or SQS_ENDPOINT,
QUEUE_PREFIX, DATABASE_URL).

  --json               the report as one JSON object (for scripts)
  --hetzner-url URL    base URL of the Hetzner side; its /health/ready is checked
  --eks-url URL        base URL of the EKS side; likewise
  --metrics-url URLS   absorbers' /metrics (comma list, or repeat the flag): the in-rate is the
                       growth of spillway_events_accepted_total over --sample seconds (default 2)
  --traffic FILE       the cutover weights (default deploy/traffic.json)
  --dead-letters N     dead letters listed per lane (default 5)
  --event ID           where one event is now, instead of the report: applied (when, after how many
                       attempts), dead-lettered (its error, its lane), waiting, in a retry backoff or
                       being delivered (BullMQ), or unknown; searches the configured driver only and
                       says what it searched (SQS: waiting and in-flight messages cannot be searched
                       without receiving them)

Out-rate: events committed per lane in the last minute (processed_events). Age of the oldest
event: BullMQ only; SQS does not offer it through its API (n/a, see docs/operations.md).`;

interface StatusArgs {
  json: boolean;
  hetznerUrl?: string;
  eksUrl?: string;
  metricsUrls: string[];
  sampleSeconds: number;
  trafficFile: string;
  deadLetters: number;
  event?: string;
}

function fail(message: string, code = 2): never {
  process.stderr.write(`status: ${message}\n`);
  process.exit(code);
}

export function parseStatusArgs(argv: string[]): StatusArgs | 'help' {
  const args: StatusArgs = { json: false, metricsUrls: [], sampleSeconds: 2, trafficFile: 'deploy/traffic.json', deadLetters: 5 };
  for (const { flag, value } of cliFlags(argv, fail)) {
    const url = () => {
      const v = value();
      if (!/^https?:\/\/\S+$/.test(v)) fail(`${flag}: "${v}" is not an http(s) URL`);
      return v;
    };
    const count = (min: number) => {
      const v = value();
      if (!/^\d+(\.\d+)?$/.test(v) || Number(v) < min) fail(`${flag}: "${v}" is not a number >= ${min}`);
      return Number(v);
    };
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--json':
        args.json = true;
        break;
      case '--hetzner-url':
        args.hetznerUrl = url();
        break;
      case '--eks-url':
        args.eksUrl = url();
        break;
      case '--metrics-url':
        for (const u of value().split(',')) {
          if (!/^https?:\/\/\S+$/.test(u)) fail(`--metrics-url: "${u}" is not an http(s) URL`);
          args.metricsUrls.push(u);
        }
        break;
      case '--sample':
        args.sampleSeconds = count(0.1);
        break;
      case '--traffic':
        args.trafficFile = value();
        break;
      case '--dead-letters':
        args.deadLetters = count(1);
        break;
      case '--event':
        args.event = value();
        break;
      default:
        fail(`unknown flag ${flag} (see --help)`);
    }
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseStatusArgs(process.argv.slice(2));
  if (args === 'help') return void process.stdout.write(`${HELP}\n`);
  const config = loadConfigOrExit();
  const sources = await openSources(config);
  try {
    if (args.event !== undefined) {
      const trace = await traceEvent(args.event, sources.driver, sources.db);
      process.stdout.write(args.json ? `${JSON.stringify(trace)}\n` : traceText(trace));
      return;
    }
    let rates: Record<string, number | null> = {};
    if (args.metricsUrls.length) {
      if (!args.json) process.stderr.write(`sampling the absorbers' counters for ${args.sampleSeconds} s...\n`);
      const before = await acceptedTotals(args.metricsUrls).catch((err) => fail(`--metrics-url: ${(err as Error).message}`, 1));
      await new Promise((r) => setTimeout(r, args.sampleSeconds * 1000));
      rates = inRates(before, await acceptedTotals(args.metricsUrls).catch((err) => fail(`--metrics-url: ${(err as Error).message}`, 1)));
    }
    const report = await buildReport({ ...sources, ...args, metricsUrls: args.metricsUrls, deadLetterLimit: args.deadLetters }, rates);
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : reportText(report));
  } finally {
    await sources.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`status: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
