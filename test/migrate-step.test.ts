import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { MIGRATIONS } from '@spillway/db';
import { BullmqDriver } from '@spillway/queue/drivers';
import { testConfig, testEnv, uniquePrefix, waitFor } from './support/env';
import { AppProcess } from './support/processes';
import { freePort } from './support/redis-server';

const MIGRATE = join(__dirname, '..', 'dist', 'libs', 'db', 'src', 'migrate.js');

/** `npm run migrate` from the build, as the compose service, the EKS Job and `npm run dev` run it. */
function migrate(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MIGRATE, ...args], { env: testEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Readiness {
  status: number;
  body: { error?: Record<string, { message?: string }>; details?: Record<string, { status: string }> };
}
async function readiness(port: number): Promise<Readiness> {
  const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
  return { status: res.status, body: (await res.json()) as Readiness['body'] };
}

/**
 * Migrations are their own one-shot step; no app migrates. On a fresh database a worker waits,
 * unready and saying why, until `npm run migrate` has run; then it consumes what waited.
 */
describe('npm run migrate, the one-shot step before the apps', () => {
  const base = testConfig().databaseUrl;
  const name = `spillway_step_${randomBytes(3).toString('hex')}`;
  const url = Object.assign(new URL(base), { pathname: `/${name}` }).toString();
  const admin = new Client({ connectionString: base });
  const prefix = uniquePrefix('migstep');
  let worker: AppProcess | undefined;
  let driver: BullmqDriver | undefined;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await driver?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it('says what it does with --help', async () => {
    const help = await migrate({}, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run migrate\n/);
    expect(help.stdout).toMatch(/advisory lock/);
  });

  it('fails in one line naming Postgres when nothing listens at DATABASE_URL', async () => {
    const nowhere = Object.assign(new URL(base), { port: String(await freePort()) }).toString();
    const run = await migrate({ DATABASE_URL: nowhere });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^migrate: .*\(is Postgres running at DATABASE_URL\?\)$/)]);
  });

  it('a worker on the fresh database waits unready; the step migrates it, then the worker consumes', async () => {
    const port = await freePort();
    const env = { DATABASE_URL: url, QUEUE_PREFIX: prefix, WORKER_HEALTH_PORT: String(port), WORKER_LANES: 'normal' };
    worker = AppProcess.worker(testEnv(env));
    const waiting = await waitFor('the worker to say it waits for migrations', async () => {
      if (!worker!.running) throw new Error(`worker exited: ${worker!.output.slice(-2000)}`);
      const r = await readiness(port);
      return r.body.error?.consumers ? r : undefined;
    }, 30_000);
    expect(waiting.status).toBe(503);
    expect(waiting.body.error!.consumers.message).toBe(
      `waiting for migrations: ${MIGRATIONS.length} not applied (${MIGRATIONS.map((m) => m.name).join(', ')}); run \`npm run migrate\``,
    );
    // Reachable, but not current: readiness says both, and claims nothing else.
    expect(waiting.body.details!.database.status).toBe('up');

    // An event waits in the broker meanwhile (the absorber would have answered 202 for it).
    driver = new BullmqDriver(testConfig({ QUEUE_PREFIX: prefix }));
    await driver.waitUntilConnected(5000);
    const id = `migstep-${randomBytes(4).toString('hex')}`;
    await driver.enqueue('normal', [{ id, type: 'migstep.test', lane: 'normal', data: {}, receivedAt: new Date().toISOString() }]);
    expect((await driver.depth('normal')).waiting).toBe(1);

    const first = await migrate({ DATABASE_URL: url });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe(`applied: ${MIGRATIONS.map((m) => m.name).join(', ')}\n`);

    await waitFor('the worker to turn ready', async () => (await readiness(port)).status === 200, 30_000);
    const db = new Pool({ connectionString: url, max: 1 });
    try {
      await waitFor('the waiting event to be applied', async () => (await db.query('SELECT 1 FROM processed_events WHERE id = $1', [id])).rowCount === 1);
    } finally {
      await db.end();
    }

    const again = await migrate({ DATABASE_URL: url });
    expect(again).toEqual({ code: 0, stdout: 'schema is up to date\n', stderr: '' });
  });
});
