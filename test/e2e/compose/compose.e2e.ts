import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Load } from '../../faults/support/load';
import { FauxqsServer } from '../../support/fauxqs';
import { waitFor } from '../../support/env';
import { dashboards } from '../../../deploy/monitoring/dashboards';
import { dashboardMetricNames } from '../../../deploy/monitoring/metric-names';
import { spillway } from '../../../deploy/spillway';
import { alerts, prometheusVersion, query, upByTarget } from './prometheus';
import { effectCountsQuery, INSTALL_EFFECT_COUNTER, REDELIVER_SCRIPT, REMOVE_EFFECT_COUNTER } from './effects';
import { ABSORBER_PORT, compose, Container, containers, lines, PROJECT, run, waitHealthy, waitPortFree } from './stack';
import { composeDefinition, targetOf } from '../../../deploy/model/targets';
import { databaseRoles } from '../../../deploy/hetzner/database-roles';

/**
 * `docker compose up` for real: the image built from the Dockerfile, the repository's
 * docker-compose.yml brought up unchanged, events through the published port into Postgres, a
 * worker restart under load, and a clean `down -v`. Needs a Docker engine (CI installs one with
 * ci-setup.sh); without one it fails, it does not skip.
 */
const BASE = `http://127.0.0.1:${ABSORBER_PORT}`;
const LANES = ['critical', 'normal', 'low'] as const;
const MINUTE = 60_000;

// The stack's secrets, as a user sets them up (docs/hetzner.md): each service's example env file
// copied into place when there is none, removed again afterwards; the absorber then wants its API key.
const SECRETS_DIR = join(__dirname, '../../../deploy/hetzner/secrets');
// Example values are refused at start (docs/security-and-startup.md): the script puts random ones in.
const createdEnvFiles = lines(
  execFileSync(process.execPath, [join(__dirname, '../../../scripts/secrets-from-examples.mjs'), SECRETS_DIR], { encoding: 'utf8' }),
).filter(Boolean);
const envNames = (f: string) => lines(readFileSync(f, 'utf8')).filter((l) => !l.startsWith('#')).map((l) => l.slice(0, l.indexOf('=')));
const apiKey = /^INGEST_API_KEYS=([^,\n]+)/m.exec(readFileSync(join(SECRETS_DIR, 'absorber.env'), 'utf8'))?.[1];
const AUTH: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey.trim()}` } : {};

type ComposeServices = Record<string, { profiles?: string[]; restart?: string; image?: string }>;
const composeServices = () => (parse(readFileSync(join(__dirname, '../../../docker-compose.yml'), 'utf8')) as { services: ComposeServices }).services;

/**
 * Services a plain `up` starts and keeps running: those behind a profile (the optional TLS proxy)
 * are not started, and one-shot steps (`restart: "no"`, the migrations) run and exit.
 */
function defaultServices(): string[] {
  return Object.entries(composeServices())
    .filter(([, svc]) => !svc.profiles?.length && svc.restart !== 'no')
    .map(([name]) => name);
}

const oneShotServices = () => Object.entries(composeServices()).filter(([, svc]) => svc.restart === 'no').map(([name]) => name);

let stack: Map<string, Container> | undefined;
let workers: string[] = [];

/** Later steps need the stack of the earlier ones: fail at once, not after their timeouts. */
function upStack(): Map<string, Container> {
  if (!stack) throw new Error('the stack did not come up (see the step before)');
  return stack;
}

/** psql inside the postgres service, as its own superuser: no host port needed. */
async function sql(query: string): Promise<string[][]> {
  const [service, pg] = [...upStack()].find(([, c]) => c.image.startsWith('postgres:'))!;
  const user = pg.env.POSTGRES_USER ?? 'postgres';
  const db = pg.env.POSTGRES_DB ?? user;
  const out = await compose(['exec', '-T', service, 'psql', '-U', user, '-d', db, '-v', 'ON_ERROR_STOP=1', '-tA', '-F', ',', '-c', query]);
  return lines(out).map((l) => l.split(','));
}

const WORKER_ROLE = databaseRoles(composeDefinition(spillway)).find((r) => r.service === 'worker')!.role;

/** What the worker's login may do to the migrations table, as Postgres itself answers it. */
async function workerOnMigrationsTable(): Promise<string[]> {
  const rows = await sql(
    `SELECT p FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p
      WHERE has_table_privilege('${WORKER_ROLE}', 'public.spillway_migrations', p)`,
  );
  return rows.map(([p]) => p);
}

/**
 * Every id's lane in the ledger, and the ids not exactly once in both the ledger and the reference
 * handler's `events` table (which commits in the same transaction). Both are keyed by the id, so
 * this proves rows were kept (the restore), never that nothing applied twice: `effects()` does.
 */
async function ledger(): Promise<{ lanes: Map<string, string>; notOnce: string[] }> {
  const rows = await sql('SELECT id, lane FROM processed_events');
  const notOnce = await sql(
    `SELECT id FROM (SELECT id FROM processed_events UNION ALL SELECT id FROM events) t
      GROUP BY id HAVING count(*) <> 2`,
  );
  return { lanes: new Map(rows.map(([id, lane]) => [id, lane])), notOnce: notOnce.map(([id]) => id) };
}

/**
 * Effects per acknowledged id, counted by the trigger of ./effects.ts where no unique key folds a
 * repeat; the ids whose count is not exactly 1 (0: lost, 2+: applied twice), with their count.
 */
async function effectsNotOnce(ids: string[]): Promise<Array<[string, number]>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 1000) {
    for (const [id, n] of await sql(effectCountsQuery(ids.slice(i, i + 1000)))) counts.set(id, Number(n));
  }
  return ids.map((id): [string, number] => [id, counts.get(id) ?? 0]).filter(([, n]) => n !== 1);
}

/**
 * What an at-least-once broker may do: deliver processed events again (each twice in one delivery,
 * once more alone), through the stack's own broker, from inside the absorber container.
 */
async function redeliver(ids: string[]): Promise<string> {
  const rows = await sql(
    `SELECT json_agg(json_build_object('id', id, 'type', type, 'lane', lane, 'key', event_key, 'data', data, 'receivedAt', received_at))
       FROM events WHERE id IN (${ids.map((id) => `'${id}'`).join(',')})`,
  );
  const events = JSON.parse(rows.map((r) => r.join(',')).join('\n')) as Array<{ key: string | null }>;
  expect(events).toHaveLength(ids.length);
  for (const e of events) if (e.key === null) delete (e as { key?: string | null }).key;
  return compose(['exec', '-T', 'absorber', 'node', '-e', REDELIVER_SCRIPT, JSON.stringify(events)], 2 * MINUTE);
}

async function post(lane: string): Promise<{ id: string; lane: string }> {
  const res = await fetch(`${BASE}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH },
    body: JSON.stringify({ type: 'e2e.compose', data: { lane }, priority: lane }),
  });
  expect(res.status).toBe(202);
  return (await res.json()) as { id: string; lane: string };
}

describe(`docker-compose.yml, run for real (project ${PROJECT})`, () => {
  beforeAll(async () => {
    await run('docker', ['info']).catch((err: Error) => {
      throw new Error(`no Docker engine: ${err.message}\nCI installs one with test/e2e/compose/ci-setup.sh`);
    });
    await compose(['down', '-v', '--remove-orphans']); // what a crashed run left behind
    await waitPortFree(ABSORBER_PORT, 5 * MINUTE);
  }, 6 * MINUTE);

  afterAll(async () => {
    await compose(['down', '-v', '--remove-orphans']).catch((err) => console.error(err));
    for (const f of createdEnvFiles) rmSync(f);
  }, 2 * MINUTE);

  it('builds the project image from the Dockerfile', async () => {
    await compose(['build'], 15 * MINUTE);
  }, 16 * MINUTE);

  it('comes up healthy: redis, postgres, absorber and every worker service', async () => {
    // --no-build: the image above; nothing else may be built, and the base images are local.
    await compose(['up', '-d', '--no-build'], 5 * MINUTE);
    await waitHealthy(defaultServices(), 3 * MINUTE);
    stack = await containers();
    // The migration step ran before the workers and succeeded.
    for (const name of oneShotServices()) expect([name, stack.get(name)?.status, stack.get(name)?.exitCode]).toEqual([name, 'exited', 0]);
    // Worker services by what they run, not by name: the file may be generated with several.
    workers = [...stack].filter(([, c]) => c.cmd.join(' ').includes('dist/apps/worker/')).map(([s]) => s);
    expect(workers.length).toBeGreaterThan(0);
    expect([...stack.values()].filter((c) => c.cmd.join(' ').includes('dist/apps/absorber/'))).toHaveLength(1);
    const ready = await fetch(`${BASE}/health/ready`);
    expect(ready.status).toBe(200);
  }, 9 * MINUTE);

  it("from the first up on a fresh volume, the worker's login reads the migrations table and cannot write it", async () => {
    upStack();
    expect(await workerOnMigrationsTable()).toEqual(['SELECT']);
  });

  it('gives each container exactly the secrets of its own env file, and publishes only on loopback', async () => {
    const secretNames = new Set(readdirSync(SECRETS_DIR).filter((f) => f.endsWith('.env')).flatMap((f) => envNames(join(SECRETS_DIR, f))));
    for (const [service, c] of upStack()) {
      const own = existsSync(join(SECRETS_DIR, `${service}.env`)) ? envNames(join(SECRETS_DIR, `${service}.env`)) : [];
      expect([service, Object.keys(c.env).filter((k) => secretNames.has(k)).sort()]).toEqual([service, own.sort()]);
    }
    const bindings = JSON.parse(await run('docker', ['inspect', '--format', '{{json .HostConfig.PortBindings}}', upStack().get('absorber')!.id]));
    expect(Object.values(bindings).flat()).toEqual([{ HostIp: '127.0.0.1', HostPort: String(ABSORBER_PORT) }]);
  });

  it("runs the scheduled backup service with a pg_dump of the server's own major version", async () => {
    const backup = upStack().get('backup');
    expect(backup?.status).toBe('running');
    const dump = await compose(['exec', '-T', 'backup', 'pg_dump', '--version']);
    const server = await compose(['exec', '-T', 'postgres', 'postgres', '--version']);
    expect(/\d+/.exec(dump)?.[0]).toBe(/\d+/.exec(server)?.[0]);
    expect(await compose(['exec', '-T', 'backup', 'node', 'dist/apps/cli/src/db-backup.js', '--help'])).toContain('usage: npm run db:backup');
  });

  it('takes an event on every lane through the published port and records it in processed_events', async () => {
    upStack();
    // From here on every application of an event leaves a row in e2e_effects (see ./effects.ts).
    await sql(INSTALL_EFFECT_COUNTER);
    const sent = await Promise.all(LANES.flatMap((lane) => Array.from({ length: 5 }, () => post(lane))));
    for (const [i, r] of sent.entries()) expect(r.lane).toBe(LANES[Math.floor(i / 5)]);
    const recorded = await waitFor('the events in processed_events', async () => {
      const { lanes } = await ledger();
      return sent.every((s) => lanes.has(s.id)) && lanes;
    }, MINUTE, 500);
    for (const s of sent) expect(recorded.get(s.id)).toBe(s.lane);
    expect(await effectsNotOnce(sent.map((s) => s.id))).toEqual([]);
  }, 2 * MINUTE);

  it('restarts the workers mid-load and loses nothing acknowledged', async () => {
    upStack();
    const before = await containers();
    // Unpaced load per lane, capped well above what the restart window needs; stopped once the
    // restarted workers are healthy again.
    const loads = LANES.map((priority) =>
      new Load(() => [BASE], { concurrency: 2, maxEvents: 4000, maxMs: 3 * MINUTE, type: 'e2e.compose', priority, headers: AUTH }).start(),
    );
    const ackedSoFar = () => loads.reduce((n, l) => n + l.result.acknowledged.length, 0);
    await loads[0].untilAcknowledged(100);
    const atRestart = ackedSoFar();
    await compose(['restart', '-t', '30', ...workers], 2 * MINUTE);
    await waitHealthy(workers, 2 * MINUTE);
    const afterRestart = ackedSoFar();
    const results = await Promise.all(loads.map((l) => l.stop()));
    const after = await containers();
    for (const w of workers) expect(after.get(w)!.startedAt).not.toBe(before.get(w)!.startedAt);
    // Events kept arriving while the workers were down, or this proves nothing.
    expect(afterRestart).toBeGreaterThan(atRestart);
    expect(results.every((r) => r.sent < 4000)).toBe(true);

    // The absorber stayed up, so every request must have been acknowledged.
    for (const r of results) expect(r.refused).toEqual({});
    const acked = results.flatMap((r, i) => r.acknowledged.map((id) => ({ id, lane: LANES[i] })));

    let last = await ledger();
    await waitFor('every acknowledged id in processed_events', async () => {
      last = await ledger();
      return acked.every((a) => last.lanes.has(a.id));
    }, 2 * MINUTE, 1000).catch(async (err) => {
      const lost = acked.filter((a) => !last.lanes.has(a.id));
      throw new Error(`${err.message}: ${lost.length} of ${acked.length} missing, e.g. ${lost.slice(0, 3).map((a) => a.id)}`);
    });
    expect(acked.filter((a) => last.lanes.get(a.id) !== a.lane)).toEqual([]);
    expect(last.notOnce).toEqual([]);

    // Then the broker delivers some of them again; still one effect for every acknowledged event.
    const again = acked.filter((_, i) => i % Math.max(1, Math.floor(acked.length / 30)) === 0).map((a) => a.id);
    expect(await redeliver(again)).toContain(`redelivered ${again.length} events`);
    await new Promise((r) => setTimeout(r, 2000)); // a commit racing the depth reading
    expect(await effectsNotOnce(acked.map((a) => a.id))).toEqual([]);
    await sql(REMOVE_EFFECT_COUNTER);
    console.log(`compose e2e: ${acked.length} acknowledged (${afterRestart - atRestart} while ${workers.join(', ')} restarted, ${again.length} redelivered 3 times), each applied exactly once`);
  }, 6 * MINUTE);

  it('monitoring profile: Prometheus scrapes the apps and exporters, and a dead letter fires SpillwayDeadLetters in its evaluation', async () => {
    upStack();
    // Grafana has no Debian package, so no stand-in: every other service of the profile is started.
    const profile = Object.entries(composeServices()).filter(([, svc]) => svc.profiles?.includes('monitoring')).map(([name]) => name);
    expect(profile).toContain('grafana');
    const started = profile.filter((name) => name !== 'grafana');
    await compose(['--profile', 'monitoring', 'up', '-d', '--no-build', ...started], 3 * MINUTE);
    try {
      await waitHealthy(started, 2 * MINUTE);
      const want = ['spillway/absorber', 'spillway/worker', 'redis/redis-exporter', 'postgres/postgres-exporter', 'node/node-exporter', 'prometheus'];
      let up: Record<string, string> = {};
      await waitFor('every scrape target up', async () => {
        up = await upByTarget().catch(() => ({}));
        return want.every((t) => up[t] === '1');
      }, 2 * MINUTE, 2000).catch((err: Error) => {
        throw new Error(`${err.message}: ${JSON.stringify(up)}`);
      });
      expect(Object.keys(up).sort()).toEqual([...want].sort());
      // The rules below are evaluated by the box's Prometheus major (3.x reads ranges, le values and
      // regexes differently from 2.x), not by an older stand-in: the compose file's tag names it.
      const boxMajor = /:v(\d+)\./.exec(composeServices().prometheus.image ?? '')?.[1];
      expect(boxMajor).toBe('3');
      expect((await prometheusVersion()).split('.')[0]).toBe(boxMajor);
      const exporters = await query('{__name__=~"(postgres|redis|node)_exporter_build_info"}');
      console.log(`compose e2e: Prometheus ${await prometheusVersion()}, ${exporters.map((s) => `${s.metric.__name__.replace('_build_info', '')} ${s.metric.version}`).sort().join(', ')}`);
      expect(await alerts()).not.toContainEqual(expect.objectContaining({ labels: expect.objectContaining({ alertname: 'SpillwayDeadLetters' }) }));

      // A real dead letter: Postgres refuses this one event type, so every attempt fails in the worker.
      await sql(`ALTER TABLE events ADD CONSTRAINT e2e_dead_letter CHECK (type <> 'e2e.dead-letter') NOT VALID`);
      try {
        const res = await fetch(`${BASE}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...AUTH },
          body: JSON.stringify({ type: 'e2e.dead-letter', data: {}, priority: 'low' }),
        });
        expect(res.status).toBe(202);
        const sentAt = Date.now();
        const firing = await waitFor('SpillwayDeadLetters firing in Prometheus', async () => {
          const found = (await alerts()).find((a) => a.labels.alertname === 'SpillwayDeadLetters' && a.state === 'firing');
          return found;
        }, 3 * MINUTE, 2000);
        expect(firing.labels).toMatchObject({ lane: 'low', severity: 'warning' });
        expect(await query('max by (lane) (spillway_dead_letters{job="spillway"}) > 0')).toEqual([expect.objectContaining({ metric: { lane: 'low' } })]);
        console.log(`compose e2e: SpillwayDeadLetters fired ${Math.round((Date.now() - sentAt) / 1000)} s after the event (${spillway.maxAttempts} attempts, ${targetOf(spillway, 'hetzner', 'compose').monitoring.scrapeSeconds} s scrape and evaluation)`);
      } finally {
        await sql('ALTER TABLE events DROP CONSTRAINT e2e_dead_letter');
      }

      // The dashboards show real series: every metric they name is in this Prometheus, except the
      // refusal counter (nothing was refused in this run).
      const names = [...new Set(Object.values(dashboards(composeDefinition(spillway))).flatMap(dashboardMetricNames))].filter((n) => n !== 'spillway_requests_rejected_total');
      const present = new Set((await query(`count by (__name__) ({__name__=~"${names.join('|')}"})`)).map((s) => s.metric.__name__));
      expect(names.filter((n) => !present.has(n))).toEqual([]);
    } finally {
      await compose(['--profile', 'monitoring', 'rm', '-s', '-f', ...started], 2 * MINUTE);
    }
  }, 8 * MINUTE);

  it('backs Postgres up to object storage, survives the loss of its volume, and restores every row', async () => {
    upStack();
    // The S3 emulator on the host, reached from the backup container through the bridge gateway.
    const network = lines(await run('docker', ['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`]))[0];
    const gateway = (await run('docker', ['network', 'inspect', network, '--format', '{{(index .IPAM.Config 0).Gateway}}'])).trim();
    const fauxqs = await FauxqsServer.start(undefined, '0.0.0.0');
    try {
      const s3 = new S3Client({ region: 'us-east-1', endpoint: fauxqs.url, forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      await s3.send(new CreateBucketCommand({ Bucket: 'spillway-backups' }));
      s3.destroy();
      // A key of its own: the example key of backup.env.example is refused.
      const key = randomBytes(32).toString('base64');
      const viaEmulator = ['-e', `BACKUP_S3_ENDPOINT=http://${gateway}:${fauxqs.port}`, '-e', 'AWS_ACCESS_KEY_ID=local', '-e', 'AWS_SECRET_ACCESS_KEY=local', '-e', `BACKUP_ENCRYPTION_KEY=${key}`];
      const cli = (script: string, args: string[] = []) => compose(['run', '--rm', '--no-deps', ...viaEmulator, 'backup', 'node', `dist/apps/cli/src/${script}`, ...args], 3 * MINUTE);

      await compose(['stop', 'absorber', ...workers], 2 * MINUTE);
      const before = await ledger();
      expect(before.lanes.size).toBeGreaterThan(0);
      expect(await cli('db-backup.js')).toMatch(/db:backup: done: .*processed_events \d+/);

      // Lose the database: container and volume gone, a fresh empty one in their place.
      await compose(['rm', '-s', '-f', 'postgres'], 2 * MINUTE);
      const volume = lines(await run('docker', ['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--filter', 'label=com.docker.compose.volume=postgres-data']));
      expect(volume).toHaveLength(1);
      await run('docker', ['volume', 'rm', volume[0]]);
      await compose(['up', '-d', '--no-build', 'postgres'], 2 * MINUTE);
      await waitHealthy(['postgres'], 2 * MINUTE);
      stack = await containers();
      expect(await sql(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`)).toEqual([['0']]);

      // The fresh server has no service roles yet: db-roles makes them, the restore runs as the
      // superuser (the backup role only reads), and db-roles again hands the tables to migrate.
      await compose(['run', '--rm', '--no-deps', 'db-roles'], 2 * MINUTE);
      const superPassword = /^POSTGRES_PASSWORD=(.+)$/m.exec(readFileSync(join(SECRETS_DIR, 'postgres.env'), 'utf8'))![1].trim();
      const superUrl = `postgres://spillway:${encodeURIComponent(superPassword)}@postgres:5432/spillway`;
      expect(await cli('db-restore.js', ['--pick', 'latest', '--into', superUrl])).toMatch(/db:restore: verified: .*processed_events \d+/);
      await compose(['run', '--rm', '--no-deps', 'db-roles'], 2 * MINUTE);
      const after = await ledger();
      expect(after.lanes).toEqual(before.lanes);
      expect(after.notOnce).toEqual([]);
      // The restored migrations table, handed over by db-roles: the worker reads it, writes nothing.
      expect(await workerOnMigrationsTable()).toEqual(['SELECT']);
    } finally {
      await fauxqs.stop();
    }
  }, 12 * MINUTE);

  it('down -v leaves no container, network or volume behind', async () => {
    const mounted = [...(await containers()).values()].flatMap((c) => c.volumes);
    expect(mounted.length).toBeGreaterThan(0);
    await compose(['down', '-v', '--remove-orphans'], 2 * MINUTE);
    const label = `label=com.docker.compose.project=${PROJECT}`;
    expect(lines(await run('docker', ['ps', '-a', '-q', '--filter', label]))).toEqual([]);
    expect(lines(await run('docker', ['network', 'ls', '-q', '--filter', label]))).toEqual([]);
    expect(lines(await run('docker', ['volume', 'ls', '-q', '--filter', label]))).toEqual([]);
    // Anonymous volumes carry no project label: check the ones the containers actually mounted.
    const volumes = new Set(lines(await run('docker', ['volume', 'ls', '-q'])));
    expect(mounted.filter((v) => volumes.has(v))).toEqual([]);
  }, 3 * MINUTE);
});
