import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import IORedis from 'ioredis';
import { Client } from 'pg';
import request from 'supertest';
import { dumpWithCounts } from '../apps/cli/src/backup/postgres-dump';
import { databaseRoles, renderRolesSql } from '../deploy/hetzner/database-roles';
import { redisUsers, renderRedisAclScript } from '../deploy/hetzner/redis-acl';
import { composeDefinition } from '../deploy/model/targets';
import { spillway } from '../deploy/spillway';
import { loadConfig } from '@spillway/config';
import { createDataSource, runMigrationsLocked } from '@spillway/db';
import { startAbsorber, startWorker } from './support/apps';
import { testConfig, testEnv, waitFor } from './support/env';
import { freePort } from './support/redis-server';

const run = promisify(execFile);

/**
 * The box's logins for real: the rendered db-roles SQL run by psql in a scratch database (role
 * names carry a suffix: roles are shared by the whole Postgres cluster), and a redis-server
 * started by the rendered ACL script. The real absorber and worker then run on those logins.
 * The local Postgres trusts 127.0.0.1, so a wrong password would not be refused here: the test
 * checks the password was set (a SCRAM hash) and what each role may do.
 */
const suffix = randomBytes(3).toString('hex');
const DB = `spillway_logins_${suffix}`;
const base = testConfig().databaseUrl;
const pg = { ...spillway.dependencies.postgres, database: DB, user: `sw_${suffix}` };
const def = { ...composeDefinition(spillway), queuePrefix: `t-logins-${suffix}`, dependencies: { ...spillway.dependencies, postgres: pg } };
const roles = Object.fromEntries(databaseRoles(def).map((r) => [r.service, r]));
const passwords: Record<string, string> = Object.fromEntries(
  [...databaseRoles(def), ...redisUsers(def)].map((r) => [r.passwordEnv, `pw-${r.passwordEnv.toLowerCase()}-${suffix}`]),
);
const roleUrl = (service: string) =>
  Object.assign(new URL(base), { pathname: `/${DB}`, username: roles[service].role, password: passwords[roles[service].passwordEnv] }).toString();
const superUrl = Object.assign(new URL(base), { pathname: `/${DB}` }).toString();

async function as<T>(url: string, fn: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

describe('the box logins: one Postgres role and one Redis user per service', () => {
  const admin = new Client({ connectionString: base });
  let dir: string;
  let redis: ChildProcess;
  let redisPort: number;
  const apps: NestFastifyApplication[] = [];
  const redisUrl = (user: string, env: string) => `redis://${user}:${passwords[env]}@127.0.0.1:${redisPort}`;
  const applyRoles = () =>
    run('psql', ['-X', '-q', '-h', new URL(base).hostname, '-p', new URL(base).port || '5432', '-U', new URL(base).username, '-d', DB, '-f', join(dir, 'db-roles.sql')], {
      env: { ...process.env, ...passwords },
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'box-logins-'));
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DB}`);
    await writeFile(join(dir, 'db-roles.sql'), renderRolesSql(def));
    // A box's first `up` on a fresh volume: db-roles once, then migrate, as its own role, makes
    // the tables (the migrations table too); the worker's grants come from the default privileges.
    // The first case checks that state, then runs db-roles again as the next `up` does.
    await applyRoles();
    const source = createDataSource(testConfig({ DATABASE_URL: roleUrl('migrate') }));
    await source.initialize();
    await runMigrationsLocked(source);
    await source.destroy();

    await writeFile(join(dir, 'redis-acl.sh'), renderRedisAclScript(def));
    redisPort = await freePort();
    redis = spawn('sh', [join(dir, 'redis-acl.sh'), '--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      env: { ...process.env, ...passwords, REDIS_ACL_FILE: join(dir, 'users.acl') },
      stdio: 'ignore',
    });
    await waitFor('redis-server with the ACL to answer', async () => {
      const c = new IORedis(redisUrl('exporter', 'REDIS_EXPORTER_PASSWORD'), { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => undefined);
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } finally {
        c.disconnect();
      }
    });
  }, 60_000);

  afterAll(async () => {
    for (const app of apps) await app.close();
    if (redis?.pid && redis.exitCode === null) process.kill(redis.pid, 'SIGKILL');
    await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    for (const r of databaseRoles(def)) await admin.query(`DROP ROLE IF EXISTS ${r.role}`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('Postgres: from the first `up` on a fresh volume the worker reads spillway_migrations and cannot INSERT, UPDATE or DELETE it; the next `up` keeps it so', async () => {
    const refusesWrites = () =>
      as(roleUrl('worker'), async (db) => {
        expect((await db.query(`SELECT count(*)::int AS n FROM spillway_migrations`)).rows[0].n).toBeGreaterThan(0);
        const denied = /permission denied for table spillway_migrations/;
        await expect(db.query(`INSERT INTO spillway_migrations ("timestamp", name) VALUES (1, 'Planted1')`)).rejects.toThrow(denied);
        await expect(db.query(`UPDATE spillway_migrations SET name = name`)).rejects.toThrow(denied);
        await expect(db.query(`DELETE FROM spillway_migrations`)).rejects.toThrow(denied);
        await expect(db.query(`TRUNCATE spillway_migrations`)).rejects.toThrow(denied);
      });
    await refusesWrites();
    // The ledger, made by the same migrate run, is writable through the default privileges.
    await as(roleUrl('worker'), async (db) => {
      await db.query(`INSERT INTO processed_events (id, type, lane, attempts) VALUES ('first-up', 't', 'normal', 1)`);
      await db.query(`DELETE FROM processed_events WHERE id = 'first-up'`);
    });
    await applyRoles(); // the second `up`
    await refusesWrites();
  });

  it('Postgres: each role has its password; the worker writes the ledger but cannot CREATE TABLE, COPY TO PROGRAM or touch the migrations', async () => {
    const { rows } = await admin.query(`SELECT rolname, rolsuper, rolpassword LIKE 'SCRAM-SHA-256$%' AS hashed FROM pg_authid WHERE rolname LIKE $1 ORDER BY 1`, [`sw_${suffix}%`]);
    expect(rows).toEqual(['backup', 'exporter', 'migrate', 'worker'].map((s) => ({ rolname: `sw_${suffix}_${s}`, rolsuper: false, hashed: true })));
    // The absorber has no role on the box.
    expect(rows.some((r) => /absorber/.test(r.rolname))).toBe(false);

    await as(roleUrl('worker'), async (db) => {
      await db.query(`INSERT INTO processed_events (id, type, lane, attempts) VALUES ('w-1', 't', 'normal', 1)`);
      expect((await db.query(`SELECT count(*)::int AS n FROM processed_events`)).rows[0].n).toBe(1);
      await expect(db.query('CREATE TABLE planted (id int)')).rejects.toThrow(/permission denied for schema public/);
      await expect(db.query(`COPY (SELECT 1) TO PROGRAM 'true'`)).rejects.toThrow(/permission denied to COPY to or from an external program|must be superuser/);
      await expect(db.query(`DELETE FROM spillway_migrations`)).rejects.toThrow(/permission denied for table spillway_migrations/);
      await expect(db.query('DROP TABLE processed_events')).rejects.toThrow(/must be owner/);
      expect((await db.query(`SELECT count(*)::int AS n FROM spillway_migrations`)).rows[0].n).toBeGreaterThan(0);
    });
  });

  it('Postgres: the backup role dumps every table (pg_dump) and writes nothing; the exporter has pg_monitor and no table', async () => {
    const counts = await dumpWithCounts(roleUrl('backup'), join(dir, 'dump'));
    expect(counts.processed_events).toBeGreaterThanOrEqual(1);
    await as(roleUrl('backup'), async (db) => {
      await expect(db.query(`INSERT INTO processed_events (id, type, lane, attempts) VALUES ('b-1', 't', 'normal', 1)`)).rejects.toThrow(/permission denied/);
    });
    await as(roleUrl('postgres-exporter'), async (db) => {
      expect((await db.query(`SELECT pg_has_role(current_user, 'pg_monitor', 'USAGE') AS m`)).rows[0].m).toBe(true);
      await db.query('SELECT count(*) FROM pg_stat_activity');
      await expect(db.query('SELECT count(*) FROM public.processed_events')).rejects.toThrow(/permission denied for schema public/);
    });
  });

  it('Redis: the real absorber and worker run on their ACL users (BullMQ scripts, blocking reads) and the worker role applies the events', async () => {
    const env = (user: string, pwEnv: string, extra: Record<string, string> = {}) => ({ QUEUE_DRIVER: 'bullmq', QUEUE_PREFIX: def.queuePrefix, REDIS_URL: redisUrl(user, pwEnv), ...extra });
    // As on the box: no DATABASE_URL at all in the absorber's environment.
    const absorberEnv = testEnv(env('absorber', 'REDIS_ABSORBER_PASSWORD'));
    delete absorberEnv.DATABASE_URL;
    const absorber = await startAbsorber(loadConfig(absorberEnv));
    apps.push(absorber);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await request(absorber.getHttpServer()).post('/v1/events').set('Idempotency-Key', `k-${i}`).send({ type: 'logins.test', data: { i } });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    apps.push(await startWorker(testConfig(env('worker', 'REDIS_WORKER_PASSWORD', { DATABASE_URL: roleUrl('worker') }))));
    await waitFor(
      'the worker role to apply every event',
      () => as(superUrl, async (db) => (await db.query(`SELECT count(*)::int AS n FROM processed_events WHERE id = ANY($1)`, [ids])).rows[0].n === ids.length),
      30_000,
      200,
    );
  }, 60_000);

  it('Redis: the default user is off; the exporter reads INFO but cannot write, read keys or FLUSHALL', async () => {
    const anonymous = new IORedis(`redis://127.0.0.1:${redisPort}`, { maxRetriesPerRequest: 0, lazyConnect: true });
    anonymous.on('error', () => undefined);
    await anonymous.connect().catch(() => undefined);
    await expect(anonymous.get('x')).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();

    const exporter = new IORedis(redisUrl('exporter', 'REDIS_EXPORTER_PASSWORD'), { maxRetriesPerRequest: 0 });
    try {
      expect(await exporter.info('memory')).toMatch(/used_memory:/);
      await expect(exporter.set(`${def.queuePrefix}:x`, '1')).rejects.toThrow(/NOPERM/);
      await expect(exporter.get(`${def.queuePrefix}:x`)).rejects.toThrow(/NOPERM/);
      await expect(exporter.flushall()).rejects.toThrow(/NOPERM/);
    } finally {
      exporter.disconnect();
    }
    const worker = new IORedis(redisUrl('worker', 'REDIS_WORKER_PASSWORD'), { maxRetriesPerRequest: 0 });
    try {
      await expect(worker.flushall()).rejects.toThrow(/NOPERM/);
      await expect(worker.set('outside-the-prefix', '1')).rejects.toThrow(/NOPERM/);
    } finally {
      worker.disconnect();
    }
  });

  it('refuses to start with a password missing or short, naming it', async () => {
    const short = { ...passwords, WORKER_DB_PASSWORD: 'short' };
    await expect(
      run('psql', ['-X', '-q', '-h', new URL(base).hostname, '-U', new URL(base).username, '-d', DB, '-f', join(dir, 'db-roles.sql')], { env: { ...process.env, ...short } }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('WORKER_DB_PASSWORD: under 16 characters in db-roles.env') });
    const { REDIS_WORKER_PASSWORD: _unset, ...missing } = passwords;
    await expect(run('sh', [join(dir, 'redis-acl.sh')], { env: { PATH: process.env.PATH, ...missing, REDIS_ACL_FILE: join(dir, 'never.acl') } })).rejects.toMatchObject({
      code: 78,
      stderr: 'redis-acl: REDIS_WORKER_PASSWORD unset or under 16 characters in redis.env\n',
    });
  });
});
