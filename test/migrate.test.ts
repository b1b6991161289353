import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createDataSource, MIGRATIONS, runMigrationsLocked, schemaIsCurrent } from '@spillway/db';
import { testConfig } from './support/env';

/**
 * A fresh database, as on the first `docker compose up` or `npm run dev`: several `npm run migrate`
 * runs at once (a Job re-run beside a deploy, two boxes) migrate under the lock while workers poll
 * whether the schema is current, all at the same moment.
 */
describe('migrations on a fresh database, with workers checking the schema meanwhile', () => {
  const base = testConfig().databaseUrl;
  const name = `spillway_migrate_${randomBytes(3).toString('hex')}`;
  const url = Object.assign(new URL(base), { pathname: `/${name}` }).toString();
  const admin = new Client({ connectionString: base });
  const sources = Array.from({ length: 4 }, () => createDataSource(testConfig({ DATABASE_URL: url })));

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await Promise.all(sources.map((s) => s.initialize()));
  });
  afterAll(async () => {
    await Promise.all(sources.map((s) => s.destroy()));
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  });

  it('the schema check creates nothing: before any migration it says no and leaves no table behind', async () => {
    expect(await schemaIsCurrent(sources[0])).toBe(false);
    const [{ present }] = await sources[0].query(`SELECT to_regclass('spillway_migrations') IS NOT NULL AS present`);
    expect(present).toBe(false);
  });

  it('three migration runs at once while a worker polls: each migration applied once, and the check turns true', async () => {
    let polls = 0;
    let migrating = true;
    const poller = (async () => {
      while (migrating) {
        await schemaIsCurrent(sources[3]);
        polls++;
      }
    })();
    const applied = await Promise.all(sources.slice(0, 3).map((s) => runMigrationsLocked(s))).finally(() => (migrating = false));
    await poller;

    expect(polls).toBeGreaterThan(0);
    expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
    const rows = await sources[0].query('SELECT name FROM spillway_migrations');
    expect(rows).toHaveLength(MIGRATIONS.length);
    expect(await schemaIsCurrent(sources[3])).toBe(true);
  });
});
