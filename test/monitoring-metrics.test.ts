import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { parse } from 'yaml';
import { MONITORING_FILES } from '../deploy/hetzner/monitoring-services';
import { EXPORTER_RULES } from '../deploy/hetzner/redis-acl';
import { dashboardExprs } from '../deploy/monitoring/grafana';
import { exposedNames, metricNames, PROMETHEUS_METRICS } from '../deploy/monitoring/metric-names';
import { boxImage, imageVersion, MonitoringProgram, monitoringProgram, programVersion } from '../deploy/monitoring/monitoring-bins';
import { OUTPUT_PATHS, ROOT } from '../deploy/outputs';
import { testConfig, testEnv, uniquePrefix, waitFor } from './support/env';
import { AppProcess } from './support/processes';
import { freePort, RedisServer } from './support/redis-server';

/**
 * Every metric the rendered dashboards and alert rules name is served by a real program the box
 * runs: the Postgres, Redis and node exporters at the box's versions (Debian's builds of them,
 * scripts/monitoring-bins.sh), scraped while they read this machine's Postgres and a Redis of the
 * test's own, each logged in as the box logs it in (a `pg_monitor` role; the Redis ACL user
 * `exporter` with the box's rules), and the absorber's and worker's own /metrics from the build;
 * `up` and `ALERTS` are made by Prometheus. (The compose e2e checks the dashboards' names once
 * more in its stand-in Prometheus, which scrapes the stand-in images' Debian 12 exporters.)
 */
type Exporter = Exclude<MonitoringProgram, 'promtool'>;

const suffix = randomBytes(3).toString('hex');
// Roles are shared by the whole Postgres cluster: a name of this run's own, dropped at the end.
const PG_ROLE = `spillway_metrics_${suffix}`;
const REDIS_PASSWORD = `exporter-${suffix}-${randomBytes(8).toString('hex')}`;
const { databaseUrl } = testConfig();
// The box's exporter role: pg_monitor only (deploy/hetzner/database-roles.ts). This machine's
// Postgres trusts 127.0.0.1, so the role needs no password here.
const pg = Object.assign(new URL(databaseUrl), { username: PG_ROLE, password: '' });
pg.searchParams.set('sslmode', 'disable'); // the exporter's driver asks for TLS by default
let redis: RedisServer;

/** How each exporter is started here; the compose file passes the same address, source and login. */
const START: Record<Exporter, (port: number) => { args: string[]; env: Record<string, string>; ready: RegExp }> = {
  postgres_exporter: (port) => ({ args: [`--web.listen-address=127.0.0.1:${port}`], env: { DATA_SOURCE_NAME: pg.toString() }, ready: /^pg_up 1$/m }),
  redis_exporter: (port) => ({
    args: [],
    env: { REDIS_ADDR: redis.url, REDIS_USER: 'exporter', REDIS_PASSWORD, REDIS_EXPORTER_WEB_LISTEN_ADDRESS: `127.0.0.1:${port}` },
    ready: /^redis_up 1$/m,
  }),
  node_exporter: (port) => ({ args: [`--web.listen-address=127.0.0.1:${port}`], env: {}, ready: /^node_filesystem_size_bytes\{/m }),
};

/** What each rendered dashboard and alert rule queries, by where it is. */
function queries(): Array<{ where: string; expr: string }> {
  const dir = join(ROOT, MONITORING_FILES.dashboards);
  const boards = readdirSync(dir).flatMap((f) => dashboardExprs(JSON.parse(readFileSync(join(dir, f), 'utf8'))).map((expr) => ({ where: f, expr })));
  const rules = (parse(readFileSync(join(ROOT, OUTPUT_PATHS.alertRules), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }).groups.flatMap((g) =>
    g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
  );
  return [...boards, ...rules];
}

/** `where: name` for each metric named that no scrape served. */
function unserved(named: Array<{ where: string; expr: string }>, served: Set<string>): string[] {
  return named.flatMap((q) => metricNames(q.expr).filter((n) => !served.has(n)).map((n) => `${q.where}: ${n}`));
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return res.text();
}

describe('the metrics the dashboards and alert rules name are served by the programs the box runs', () => {
  const children: ChildProcess[] = [];
  const apps: AppProcess[] = [];
  const texts = new Map<string, string>();

  const admin = new Client({ connectionString: databaseUrl });

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE ROLE ${PG_ROLE} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT`);
    await admin.query(`GRANT pg_monitor TO ${PG_ROLE}`);
    // The box's Redis: maxmemory set (redis_memory_max_bytes), the exporter's ACL user as rendered.
    redis = await RedisServer.start({ aof: false, args: ['--maxmemory', '64mb'] });
    const acl = new IORedis(redis.url);
    await acl.call('ACL', 'SETUSER', 'exporter', 'reset', 'on', `>${REDIS_PASSWORD}`, ...EXPORTER_RULES.split(' '));
    acl.disconnect();

    const started: Array<Promise<unknown>> = [];
    for (const name of Object.keys(START) as Exporter[]) {
      const port = await freePort();
      const { args, env, ready } = START[name](port);
      const child = spawn(monitoringProgram(name), args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      child.stderr!.on('data', (d) => (log = (log + d).slice(-2000)));
      children.push(child);
      started.push(
        waitFor(`${name} on :${port} serving ${ready}`, async () => {
          if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}: ${log}`);
          const text = await scrape(`http://127.0.0.1:${port}/metrics`);
          // Serving but not reading its source (a refused login, say): its own log says why.
          if (!ready.test(text)) throw new Error(`no ${ready} in its scrape; its log: ${log.slice(-600)}`);
          texts.set(name, text);
          return true;
        }),
      );
    }
    // The apps from the build, as production starts them, on their own queue prefix.
    const [absorberPort, metricsPort, workerPort] = [await freePort(), await freePort(), await freePort()];
    const env = testEnv({ QUEUE_PREFIX: uniquePrefix('metrics'), REDIS_URL: redis.url });
    apps.push(AppProcess.absorber({ ...env, PORT: String(absorberPort), METRICS_PORT: String(metricsPort) }), AppProcess.worker({ ...env, WORKER_HEALTH_PORT: String(workerPort) }));
    for (const [name, port, app] of [['absorber', metricsPort, apps[0]], ['worker', workerPort, apps[1]]] as const) {
      started.push(
        waitFor(`${name} /metrics on :${port}`, async () => {
          if (!app.running) throw new Error(`${name} exited: ${app.output.slice(-2000)}`);
          texts.set(name, await scrape(`http://127.0.0.1:${port}/metrics`));
          return true;
        }, 30_000), // an app's start under a loaded CI, as test/faults/support/stack.ts allows
      );
    }
    await Promise.all(started);
  }, 60_000);

  afterAll(async () => {
    const exits = children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined));
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all([...exits, ...apps.map((a) => a.stop('SIGKILL'))]);
    await redis?.kill();
    await admin.query(`DROP ROLE IF EXISTS ${PG_ROLE}`);
    await admin.end();
  });

  const served = () => new Set([...[...texts.values()].flatMap((t) => [...exposedNames(t)]), ...PROMETHEUS_METRICS]);

  it("runs each exporter at its box image's version (redis_exporter: the nearest Debian has)", () => {
    const minor = (v: string) => v.split('.').slice(0, 2).join('.');
    const versions = Object.fromEntries((Object.keys(START) as Exporter[]).map((n) => [n, { box: imageVersion(boxImage(n)), here: programVersion(monitoringProgram(n)) }]));
    expect(minor(versions.postgres_exporter.here)).toBe(minor(versions.postgres_exporter.box));
    expect(minor(versions.node_exporter.here)).toBe(minor(versions.node_exporter.box));
    // Debian's newest is 1.86 for the box's 1.91 (docs/operations.md says what that covers).
    expect(versions.redis_exporter.here.split('.')[0]).toBe(versions.redis_exporter.box.split('.')[0]);
  });

  it('every metric each rendered dashboard and alert rule names is served', () => {
    const named = queries();
    expect(named.length).toBeGreaterThan(20);
    // Each source was scraped for real, and each is needed: a name from every exporter is in use.
    for (const [source, name] of Object.entries({ postgres_exporter: 'pg_up', redis_exporter: 'redis_memory_used_bytes', node_exporter: 'node_filesystem_avail_bytes', absorber: 'spillway_ingest_request_seconds_count', worker: 'spillway_events_processed_total' })) {
      expect([source, exposedNames(texts.get(source)!).has(name)]).toEqual([source, true]);
      expect(named.some((q) => metricNames(q.expr).includes(name))).toBe(true);
    }
    expect(unserved(named, served())).toEqual([]);
  });

  it('the check can fail: a name no program serves is reported with where it is', () => {
    // The rate of commits under the name a 2.x-era dashboard might use; the exporter serves pg_stat_database_xact_commit.
    const named = [{ where: 'box.json', expr: 'sum(rate(pg_stat_database_xact_commit_total[5m]))' }];
    expect(unserved(named, served())).toEqual(['box.json: pg_stat_database_xact_commit_total']);
    expect(served().has('pg_stat_database_xact_commit')).toBe(true);
  });
});
