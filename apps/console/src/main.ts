import 'reflect-metadata';
import { Pool } from 'pg';
import { ConfigError, loadConfig } from '@spillway/config';
import { pgConnectionOptions } from '@spillway/db-connection';
import { brokerHint } from '@spillway/ops';
import { createQueueDriver } from '@spillway/queue';
import { createConsoleServer } from './console-server';
import { ConsoleSide } from './side-report';
import { chooseSides, readTargets, sideConfig, TARGETS_FILE } from './sides';

const HELP = `usage: npm run console [-- --side SPEC [--side SPEC ...]]

The operator console: a web page with one column per side (broker): per lane waiting, delayed, in
flight, age of the oldest, dead letters with their last error (redrive or discard them, after a
confirmation), in/out rates and the last hour of depth and rates as charts; the cutover weights,
each side's readiness and, on a side whose weight is 0, how much is left to drain. Below: find
dead letters by lane, type glob, error text, key and time (queue:redrive's filters), open one,
redrive or discard one, a selection or all that match; trace one event id on every side.

Sides (each read on its own, with its own timeout: one that does not answer is shown unreachable):
  --side SPEC            name=hetzner,driver=bullmq,redis=redis://HOST:6379,prefix=spillway,
                         url=https://spillway-1.example.com,metrics=http://absorber:9464/metrics
                         name=eks,driver=sqs,region=eu-central-1,endpoint=URL,prefix=spillway
                         keys: name driver redis prefix region endpoint bucket url metrics
                         (metrics may repeat). A side named after a target of the definition
                         (--side hetzner, --side eks, --side staging) takes that target's broker
                         as its driver, and its own queue prefix and bucket when it has them, from
                         CONSOLE_TARGETS_FILE; any other name needs driver=. Unset keys come from
                         the apps' env (REDIS_URL, QUEUE_PREFIX, AWS_REGION, SQS_ENDPOINT). A redis
                         URL with a password is refused here (ps shows flags): use CONSOLE_SIDES
  CONSOLE_SIDES          the same as a JSON array: [{"name":"hetzner","driver":"bullmq","redis":"..."}]
  (neither)              one side from the apps' env (QUEUE_DRIVER and its settings), named after
                         the first target whose broker is that driver (hetzner for bullmq, eks for sqs)

Environment:
  CONSOLE_TOKEN          required: the page and every API call need it (Bearer token)
  CONSOLE_AUTH=off       run without a token (only on a trusted network); requests must then
                         name a loopback host (localhost, 127.0.0.1, [::1]) or one of
  CONSOLE_ALLOWED_HOSTS  comma list of names the console is reached by without a token
  CONSOLE_PORT           default 8090
  CONSOLE_HOST           default 127.0.0.1 (0.0.0.0 to listen on every interface)
  CONSOLE_<NAME>_URL     base URL of the side named <name> (upper-cased, - as _), when its spec
                         has no url=: CONSOLE_HETZNER_URL, CONSOLE_EKS_URL, CONSOLE_STAGING_URL
  CONSOLE_TARGETS_FILE   default deploy/rendered/targets.json: the definition's targets by name, each
                         with its kind and broker (rendered by npm run synth from deploy/spillway.ts)
  CONSOLE_METRICS_URLS   comma list of /metrics URLs of the one default side (with --side: metrics=)
  CONSOLE_SAMPLE_S       seconds between history samples (default 10; one hour is kept)
  CONSOLE_SIDE_TIMEOUT_MS  a side's reads give up after this long (default 5000)
  CONSOLE_TRAFFIC_FILE   default deploy/traffic.json
  DATABASE_URL           the ledger: events applied per lane in the last minute (both sides)`;

function fail(message: string, code: number): never {
  process.stderr.write(`console: ${message}\n`);
  process.exit(code);
}

/** `--side X` and `--side=X` values; anything else but --help is refused. */
function sideFlags(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--side') {
      if (!argv[i + 1]) fail('--side needs a value (see --help)', 2);
      out.push(argv[++i]);
    } else if (a.startsWith('--side=')) out.push(a.slice('--side='.length));
    else fail(`unknown argument ${a} (see --help)`, 2);
  }
  return out;
}

function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  const n = Number(raw ?? fallback);
  if (!Number.isInteger(n) || n < min || n > max) fail(`${name}: "${raw}" must be a whole number from ${min} to ${max}`, 78);
  return n;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) return void process.stdout.write(`${HELP}\n`);
  const flags = sideFlags(argv);
  const env = process.env;
  const token = env.CONSOLE_TOKEN?.trim();
  if (env.CONSOLE_AUTH !== 'off' && !token) fail('CONSOLE_TOKEN is not set: set a token (or CONSOLE_AUTH=off on a trusted network)', 78);
  if (token && token.length < 16) fail('CONSOLE_TOKEN: must be at least 16 characters', 78);
  const port = intEnv('CONSOLE_PORT', 8090, 0, 65535);
  const sampleS = intEnv('CONSOLE_SAMPLE_S', 10, 1, 600);
  const sideTimeoutMs = intEnv('CONSOLE_SIDE_TIMEOUT_MS', 5000, 100, 60_000);
  let specs;
  try {
    specs = chooseSides(flags, env, readTargets(env.CONSOLE_TARGETS_FILE || TARGETS_FILE));
  } catch (err) {
    fail((err as Error).message, 2);
  }
  const sides: ConsoleSide[] = [];
  for (const spec of specs) {
    let config;
    try {
      config = sideConfig(spec, env);
    } catch (err) {
      fail(`side ${spec.name}: ${err instanceof ConfigError ? err.problems.join('; ') : (err as Error).message}`, 78);
    }
    sides.push({ name: spec.name, driver: await createQueueDriver(config), url: spec.url, metrics: spec.metrics, hint: brokerHint(config) });
  }
  let db: Pool | undefined;
  try {
    db = new Pool({ ...pgConnectionOptions(loadConfig(env)), max: 2, connectionTimeoutMillis: 2000 });
    db.on('error', () => undefined);
  } catch {
    db = undefined;
  }
  // A side that is down at start is not a reason to stop: its column says so until it answers.
  const up = await Promise.all(sides.map((s) => s.driver.waitUntilConnected(3000)));
  const server = createConsoleServer({
    sides,
    db,
    token: env.CONSOLE_AUTH === 'off' ? undefined : token,
    allowedHosts: (env.CONSOLE_ALLOWED_HOSTS ?? '').split(','),
    trafficFile: env.CONSOLE_TRAFFIC_FILE ?? 'deploy/traffic.json',
    sampleMs: sampleS * 1000,
    sideTimeoutMs,
  });
  const host = env.CONSOLE_HOST ?? '127.0.0.1';
  server.listen(port, host, () => {
    const where = server.address();
    const bound = typeof where === 'object' && where ? where.port : port;
    const list = sides.map((s, i) => `${s.name} ${s.driver.name}${up[i] ? '' : ' (not answering yet)'}`).join(', ');
    process.stdout.write(`console on http://${host}:${bound}/ (sides: ${list}${token && env.CONSOLE_AUTH !== 'off' ? '' : '; AUTH OFF'})\n`);
  });
  const stop = () =>
    server.close(() => void Promise.all([...sides.map((s) => s.driver.close().catch(() => undefined)), db?.end().catch(() => undefined)]).then(() => process.exit(0)));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => fail((err as Error).message, 1));
