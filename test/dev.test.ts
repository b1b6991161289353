/**
 * @spillway-alone `npm run dev` builds again: tsc rewrites dist/, which the other suites spawn their apps from (test/support/suite-lock.ts)
 */
import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { LANES } from '@spillway/config';
import { waitFor } from './support/env';
import { freePort } from './support/redis-server';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run dev (the newcomer’s first command)', () => {
  let dev: ChildProcess;
  let output = '';
  const dataDir = join(mkdtempSync(join(tmpdir(), 'spillway-dev-')), 'data');

  afterAll(() => {
    // Only if the test failed half-way: never leave a stack behind.
    if (dev && alive(dev.pid!)) process.kill(-dev.pid!, 'SIGKILL');
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('runs absorber + worker on fauxqs and embedded Postgres, and Ctrl-C leaves nothing running', async () => {
    chmodSync(join(dataDir, '..'), 0o755); // Postgres runs as its own user when the tests run as root
    const [port, healthPort, pgPort, sqsPort, metricsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const env = {
      ...process.env,
      DEV_DATA_DIR: dataDir,
      DEV_PG_PORT: String(pgPort),
      DEV_SQS_PORT: String(sqsPort),
      PORT: String(port),
      WORKER_HEALTH_PORT: String(healthPort),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
      LOG_FORMAT: undefined, // the launcher's own choice: pretty
      LOG_FILE: undefined, // on the launcher's output, where the checks below read them
    };
    // Its own process group, so the SIGINT below reaches npm and the launcher as a terminal's Ctrl-C would.
    dev = spawn('npm', ['run', 'dev'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    dev.stdout!.on('data', (d) => (output += d));
    dev.stderr!.on('data', (d) => (output += d));

    const base = `http://127.0.0.1:${port}`;
    // If the launcher gives up, say so at once with what it printed, rather than after the timeout.
    const exited = new Promise<never>((_, reject) => dev.on('exit', (code) => reject(new Error(`npm run dev exited (${code})`))));
    await Promise.race([waitFor('the stack to be ready', async () => (await fetch(`${base}/health/ready`)).ok, 150_000, 500), exited]).catch((err: Error) => {
      throw new Error(`${err.message}\n--- npm run dev printed (last 4 KB):\n${output.slice(-4096)}`);
    });
    const ids: string[] = [];
    for (const lane of LANES) {
      const res = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'dev.check', data: { lane }, priority: lane, key: 'dev-key' }),
      });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const db = new Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${pgPort}/spillway` });
    await db.connect();
    try {
      const rows = await waitFor('the events in processed_events', async () => {
        const { rows } = await db.query('SELECT id, lane FROM processed_events WHERE id = ANY($1::text[])', [ids]);
        return rows.length === 3 && rows;
      });
      expect(rows.map((r: { lane: string }) => r.lane).sort()).toEqual([...LANES].sort());
    } finally {
      await db.end();
    }

    const pids = [...output.matchAll(/(\w[\w-]*)=(\d+)/g)].filter((m) => ['launcher', 'absorber', 'worker', 'postgres-runner'].includes(m[1])).map((m) => Number(m[2]));
    expect(pids).toHaveLength(4);
    const postmasterFile = join(dataDir, 'postgres', 'postmaster.pid');
    const postmaster = Number(readFileSync(postmasterFile, 'utf8').split('\n')[0]);
    expect(pids.concat(postmaster).every(alive)).toBe(true);

    // Logs for a person: one readable line a record from each app, never a JSON line.
    expect(output).toMatch(/^\[absorber\] \[\d\d:\d\d:\d\d\.\d{3}\] INFO \(absorber\): NestApplication: Nest application successfully started/m);
    expect(output).toMatch(/^\[worker\] \[\d\d:\d\d:\d\d\.\d{3}\] INFO \(worker\): /m);
    expect(output).not.toMatch(/^\[(absorber|worker)\] \{"level"/m);
    // Nothing warns at start: no Node deprecation or version warning (the AWS SDK's on Node 20, say).
    expect(output).not.toMatch(/Warning\b/);

    process.kill(-dev.pid!, 'SIGINT');
    await waitFor('every process to exit', async () => !pids.concat(postmaster).some(alive), 60_000, 200);
    expect(output).toContain('[dev] stopped');
    expect(existsSync(postmasterFile)).toBe(false); // Postgres shut down cleanly, not killed
    await expect(fetch(`${base}/health/live`)).rejects.toThrow();
    // The data stays for the next run.
    expect(existsSync(join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
  }, 240_000);
});
