import 'reflect-metadata';
import { isLane, Lane, LANES, loadConfigOrExit, QUEUE_DRIVERS, QueueDriverName, SpillwayConfig } from '@spillway/config';
import { createQueueDriver, moveLane } from '@spillway/queue';

const HELP = `usage: npm run queue:move -- --from <bullmq|sqs> --to <bullmq|sqs> --lane <critical|normal|low|all>
                          [--from-prefix P] [--to-prefix P] [--concurrency N] [--timeout S] [--dry-run]

Moves waiting and delayed deliveries of a lane from one broker to the other, events unchanged
(ids, keys, data), so the other side's workers process them. Each delivery is removed from the
source only after the target acknowledged it: interrupted, it can simply be run again, and a
delivery moved twice is applied once (the workers' ledger). Delayed deliveries are moved when
they come due. Both brokers are configured from the same environment as the apps (REDIS_URL for
bullmq; AWS_REGION, SQS_ENDPOINT for sqs; QUEUE_PREFIX unless --from-prefix/--to-prefix).`;

interface Options {
  from: QueueDriverName;
  to: QueueDriverName;
  lanes: Lane[];
  fromPrefix?: string;
  toPrefix?: string;
  concurrency: number;
  timeoutS: number;
  dryRun: boolean;
}

function fail(message: string): never {
  process.stderr.write(`queue:move: ${message}\n\n${HELP}\n`);
  process.exit(2);
}

export function parseMoveArgs(argv: string[]): Options {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const from = value('--from');
  const to = value('--to');
  const lane = value('--lane');
  if (!from || !(QUEUE_DRIVERS as readonly string[]).includes(from)) fail(`--from must be one of ${QUEUE_DRIVERS.join(', ')}`);
  if (!to || !(QUEUE_DRIVERS as readonly string[]).includes(to)) fail(`--to must be one of ${QUEUE_DRIVERS.join(', ')}`);
  if (!lane || (lane !== 'all' && !isLane(lane))) fail(`--lane must be one of ${LANES.join(', ')}, all`);
  const options: Options = {
    from: from as QueueDriverName,
    to: to as QueueDriverName,
    lanes: lane === 'all' ? [...LANES] : [lane as Lane],
    fromPrefix: value('--from-prefix'),
    toPrefix: value('--to-prefix'),
    concurrency: Number(value('--concurrency') ?? 8),
    timeoutS: Number(value('--timeout') ?? 600),
    dryRun: argv.includes('--dry-run'),
  };
  if (options.from === options.to && (options.fromPrefix ?? '') === (options.toPrefix ?? '')) {
    fail('source and target are the same queues: change --to, or give --from-prefix/--to-prefix');
  }
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) fail('--concurrency must be a positive integer');
  if (!(options.timeoutS > 0)) fail('--timeout must be a positive number of seconds');
  return options;
}

async function main(): Promise<void> {
  const o = parseMoveArgs(process.argv.slice(2));
  const config = loadConfigOrExit();
  const side = (driver: QueueDriverName, prefix?: string): SpillwayConfig => ({ ...config, queueDriver: driver, queuePrefix: prefix ?? config.queuePrefix });
  const source = await createQueueDriver(side(o.from, o.fromPrefix));
  const target = await createQueueDriver(side(o.to, o.toPrefix));
  try {
    for (const [name, d] of [['source', source], ['target', target]] as const) {
      if (!(await d.waitUntilConnected(5000))) throw new Error(`${name} broker (${d.name}) unreachable`);
    }
    let total = 0;
    for (const lane of o.lanes) {
      if (o.dryRun) {
        const d = await source.depth(lane);
        process.stdout.write(`${lane}: would move ${d.waiting} waiting and ${d.delayed} delayed deliveries from ${o.from} to ${o.to}\n`);
        continue;
      }
      total += await moveLane(lane, source, target, { concurrency: o.concurrency, timeoutS: o.timeoutS, log: (line) => process.stdout.write(`${line}\n`) });
    }
    if (!o.dryRun) process.stdout.write(`queue:move done: ${total} events moved from ${o.from} to ${o.to}\n`);
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`queue:move: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
