import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Client } from 'pg';
import { dumpWithCounts, restoreInto } from '../apps/cli/src/backup/postgres-dump';
import { copySchemaSection } from '@spillway/db-move/schema-copy';
import { testConfig } from './support/env';

/**
 * pg_dump, pg_restore and psql as the backup and db:move spawn them, each behind a wrapper on PATH
 * that records its argv and whether PGPASSWORD holds the URL's password, then runs the real tool.
 * A password in argv is readable by every user of the box (ps, /proc/<pid>/cmdline).
 */
const PASSWORD = `argv-must-not-see-${randomBytes(4).toString('hex')}`;
const base = testConfig().databaseUrl;
const suffix = randomBytes(3).toString('hex');
const withPassword = (db: string) => Object.assign(new URL(base), { pathname: `/${db}`, username: 'postgres', password: PASSWORD }).toString();
const SRC = `spillway_argv_src_${suffix}`;
const DST = `spillway_argv_dst_${suffix}`;
const DST2 = `spillway_argv_dst2_${suffix}`;

describe('client tools get the password through the environment', () => {
  const admin = new Client({ connectionString: base });
  let dir: string;
  let path: string | undefined;
  const record = async () => (await readFile(join(dir, 'argv.log'), 'utf8')).trim().split('\n');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'argv-'));
    for (const tool of ['pg_dump', 'pg_restore', 'psql']) {
      const real = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
      await writeFile(
        join(dir, tool),
        `#!/bin/sh\nprintf '%s pgpassword=%s argv=%s\\n' ${tool} "$([ "$PGPASSWORD" = '${PASSWORD}' ] && echo url || echo other)" "$*" >> ${join(dir, 'argv.log')}\nexec ${real} "$@"\n`,
      );
      await chmod(join(dir, tool), 0o755);
    }
    path = process.env.PATH;
    process.env.PATH = `${dir}${delimiter}${path}`;
    await admin.connect();
    for (const db of [SRC, DST, DST2]) await admin.query(`CREATE DATABASE ${db}`);
    const src = new Client({ connectionString: withPassword(SRC) });
    await src.connect();
    await src.query('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 7)');
    await src.end();
  });

  afterAll(async () => {
    process.env.PATH = path;
    for (const db of [SRC, DST, DST2]) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('db:backup and db:restore: pg_dump and pg_restore', async () => {
    expect(await dumpWithCounts(withPassword(SRC), join(dir, 'dump'))).toEqual({ t: 7 });
    await restoreInto(withPassword(DST), join(dir, 'dump'));
    const lines = await record();
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['pg_dump', 'pg_restore']);
    for (const l of lines) {
      expect(l).not.toContain(PASSWORD);
      expect(l).toContain('pgpassword=url');
    }
  });

  it('db:move: pg_dump and psql of the schema copy', async () => {
    await writeFile(join(dir, 'argv.log'), '');
    const tools = { pgDump: join(dir, 'pg_dump'), psql: join(dir, 'psql'), major: 15, version: '' };
    const plan = { scope: { excluded: ['information_schema'], extraTables: [] }, extensions: [], withAuthUsers: false, standIns: false };
    await copySchemaSection(tools, withPassword(SRC), withPassword(DST2), 'pre-data', plan);
    const lines = await record();
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['pg_dump', 'psql']);
    for (const l of lines) {
      expect(l).not.toContain(PASSWORD);
      expect(l).toContain('pgpassword=url');
    }
  });
});
