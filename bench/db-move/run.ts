// `npm run bench:db-move`: db:move (dump mode) against a plain `pg_dump | psql` of the same data in
// the same run, PostgreSQL 15 -> 18 on private clusters. Both start from an empty target database
// and end with the schema, the data and the indexes in place; db:move's time also includes its
// verify pass, which the plain pipe does not do. Options: --rows N (events table, default 1000000).
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PG15_BIN, startClusters } from '../../test/support/pg-cluster';

const rowsArg = process.argv.indexOf('--rows');
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 1_000_000;

const FIXTURE = `
CREATE TYPE kind AS ENUM ('click', 'view', 'buy');
CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind kind NOT NULL, payload jsonb, tags text[], at timestamptz NOT NULL);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer int NOT NULL, total numeric(12,2), note text, placed_at timestamptz NOT NULL);
CREATE INDEX orders_customer ON orders (customer);
CREATE TABLE blobs (id int PRIMARY KEY, data bytea NOT NULL);
CREATE TABLE page_views (path text, at timestamptz, ms int);
INSERT INTO events (kind, payload, tags, at) SELECT (ARRAY['click', 'view', 'buy'])[1 + i % 3]::kind, jsonb_build_object('i', i, 'user', 'u' || (i % 5000), 'v', i * 0.25), ARRAY['a' || i % 7, 'b'], '2026-01-01'::timestamptz + i * interval '1 second' FROM generate_series(1, ${ROWS}) i;
INSERT INTO orders (customer, total, note, placed_at) SELECT i % 9973, (i * 1.37)::numeric(12,2), 'order note ' || md5(i::text), now() FROM generate_series(1, ${Math.round(ROWS / 2)}) i;
INSERT INTO blobs SELECT i, decode(repeat(md5(i::text), 32), 'hex') FROM generate_series(1, ${Math.round(ROWS / 100)}) i;
INSERT INTO page_views SELECT '/p/' || i % 1000, now(), i % 500 FROM generate_series(1, ${Math.round(ROWS / 4)}) i;
ANALYZE;`;

const time = (fn: () => void): number => {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
};

async function main(): Promise<void> {
  const [source, target] = await startClusters(15, 18);
  try {
    const from = await source.createDatabase('bench');
    process.stdout.write(`filling the source (${ROWS} events + ${Math.round(ROWS / 2)} orders + ${Math.round(ROWS / 100)} blobs + ${Math.round(ROWS / 4)} page views)...\n`);
    await source.sql('bench', FIXTURE);
    const [{ rows, bytes }] = await source.sql<{ rows: string; bytes: string }>('bench',
      `SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM orders) + (SELECT count(*) FROM blobs) + (SELECT count(*) FROM page_views) AS rows,
              (SELECT sum(pg_table_size(c.oid)) FROM pg_class c WHERE c.relname IN ('events', 'orders', 'blobs', 'page_views')) AS bytes`);
    const totalRows = Number(rows);
    const mb = Number(bytes) / 1e6;

    const plainTo = await target.createDatabase('plain');
    const plainMs = time(() => {
      const r = spawnSync('bash', ['-c', `set -o pipefail; ${PG15_BIN}/pg_dump --no-owner --no-acl '${from}' | ${PG15_BIN}/psql -X -q -v ON_ERROR_STOP=1 '${plainTo}' > /dev/null`], { stdio: ['ignore', 'ignore', 'inherit'] });
      if (r.status !== 0) throw new Error('pg_dump | psql failed');
    });

    const moveTo = await target.createDatabase('moved');
    const cli = join(__dirname, '../../dist/apps/cli/src/db-move.js');
    let out = '';
    const moveMs = time(() => {
      out = execFileSync(process.execPath, [cli, '--from', from, '--to', moveTo], { encoding: 'utf8' });
    });
    const copied = /data copied: (.*)/.exec(out)?.[1] ?? '?';
    const verifyMs = (() => {
      const stamps = out.split('\n').filter((l) => /verified |verify ok/.test(l)).map((l) => Date.parse(l.slice(0, 24)));
      const start = Date.parse(out.split('\n').find((l) => /sequences: /.test(l))?.slice(0, 24) ?? '');
      return stamps.length ? Math.max(...stamps) - start : NaN;
    })();

    const line = (name: string, ms: number) => `| ${name} | ${(ms / 1000).toFixed(1)} s | ${Math.round(totalRows / (ms / 1000))} | ${(mb / (ms / 1000)).toFixed(1)} |`;
    process.stdout.write([
      '',
      `PostgreSQL 15 -> 18, ${totalRows} rows, ${mb.toFixed(0)} MB of table data on the source, ${new Date().toISOString()}`,
      '| how | wall time | rows/s | MB/s |',
      '|---|---|---|---|',
      line('pg_dump \\| psql (schema + data + indexes)', plainMs),
      line('npm run db:move (the same, + sequences + verify)', moveMs),
      line('npm run db:move without its verify pass', moveMs - verifyMs),
      `db:move data phase alone: ${copied}`,
      `ratio (plain / db:move without verify): ${(plainMs / (moveMs - verifyMs)).toFixed(2)}x`,
      '',
    ].join('\n'));
  } finally {
    await Promise.all([source.stop(), target.stop()]);
  }
}

main().catch((err) => {
  process.stderr.write(`bench:db-move: ${(err as Error).message}\n`);
  process.exit(1);
});
