import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findClientTools } from './client-tools';

// Stand-in pg_dump/psql that only answer --version: the machine has a single client major, and the
// refusal is about what --version says, not about dumping.
function fakeTools(version: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'spillway-pgbin-'));
  for (const tool of ['pg_dump', 'psql']) {
    writeFileSync(join(dir, tool), `#!/bin/sh\necho "${tool} (PostgreSQL) ${version}"\n`);
    chmodSync(join(dir, tool), 0o755);
  }
  return dir;
}

describe('findClientTools', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('refuses a pg_dump older than the source, saying what to install', () => {
    const dir = fakeTools('14.11');
    dirs.push(dir);
    expect(() => findClientTools(15, dir)).toThrow(`pg_dump 14 (${dir}/pg_dump) cannot dump a PostgreSQL 15 source: install postgresql-client-15 or newer, or pass --pg-bin DIR`);
  });

  it('takes a pg_dump of the source major or newer', () => {
    const dir = fakeTools('18.1');
    dirs.push(dir);
    expect(findClientTools(15, dir)).toMatchObject({ major: 18, pgDump: join(dir, 'pg_dump'), psql: join(dir, 'psql') });
  });

  it('says what to install when there is none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spillway-pgbin-'));
    dirs.push(dir);
    expect(() => findClientTools(15, dir)).toThrow(`no pg_dump/psql found in ${dir}: install postgresql-client-15 (or newer), or pass --pg-bin DIR`);
  });

  it("finds Debian's client tools on this machine", () => {
    expect(findClientTools(15).major).toBeGreaterThanOrEqual(15);
  });
});
