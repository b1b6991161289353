// DATABASE_CA against a real Postgres serving TLS with a certificate from a CA this test makes
// (as RDS serves one from Amazon's RDS CAs, which Node's store does not hold). The server sends
// its certificate and the root, as RDS does. `npm run build` first (the migrate CLI and the worker
// run from dist/).
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { Pool } from 'pg';
import { loadConfig } from '@spillway/config';
import { createDataSource, pgConnectionOptions } from '@spillway/db';
import { PostgresIdempotencyStore } from '@spillway/queue/idempotency/postgres-idempotency.store';
import { postgresUser } from '../apps/dev/src/run-as-root';
import { PgCluster } from './support/pg-cluster';
import { AppProcess } from './support/processes';
import { testEnv, waitFor } from './support/env';
import { makeCa, makeServerCert, TestCa } from './support/test-ca';

let cluster: PgCluster;
let dir: string;
let serverCa: TestCa;
let otherCa: TestCa;
/** The refusal seen before the cluster turned ssl on. */
let withoutTls: string;

/** DATABASE_URL on the TLS cluster, by the host name its certificate carries unless told otherwise. */
const urlOf = (params: string, host = 'localhost') => `postgres://postgres@${host}:${cluster.port}/postgres${params}`;
const env = (vars: Record<string, string>) => ({ LOG_LEVEL: 'warn', ...vars });

// The cases below use sslmode=require on purpose (node-postgres reads it as verify-full), and pg
// warns about that once per process, ten lines on the run's output: that one warning is dropped here.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (String(warning).includes("The SSL modes 'prefer', 'require', and 'verify-ca' are treated as aliases for 'verify-full'")) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

beforeAll(async () => {
  cluster = await PgCluster.start(15);
  dir = mkdtempSync('/var/tmp/spillway-tls-');
  serverCa = makeCa(dir, 'spillway-test-ca');
  otherCa = makeCa(dir, 'other-ca');
  const server = makeServerCert(dir, serverCa, 'localhost');
  // Postgres reads its key only if the server's user owns it and no one else can read it.
  chmodSync(server.keyFile, 0o600);
  chmodSync(dir, 0o755);
  if (process.getuid?.() === 0) {
    const pg = postgresUser();
    chownSync(server.keyFile, pg.uid, pg.gid);
  }
  withoutTls = await refusal({ DATABASE_URL: urlOf(''), DATABASE_CA: serverCa.certFile });
  await cluster.sql('postgres', `ALTER SYSTEM SET ssl_cert_file = '${server.certFile}'`);
  await cluster.sql('postgres', `ALTER SYSTEM SET ssl_key_file = '${server.keyFile}'`);
  await cluster.sql('postgres', 'ALTER SYSTEM SET ssl = on');
  await cluster.sql('postgres', 'SELECT pg_reload_conf()');
  await waitFor('ssl=on after the reload', async () => (await cluster.sql<{ ssl: string }>('postgres', 'SHOW ssl'))[0].ssl === 'on');
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Whether the data source's own connection is TLS, by the server's account. */
async function connectsOverTls(vars: Record<string, string>): Promise<boolean> {
  const dataSource = createDataSource(loadConfig(env(vars)));
  await dataSource.initialize();
  try {
    const [row] = await dataSource.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return row.ssl;
  } finally {
    await dataSource.destroy();
  }
}

async function refusal(vars: Record<string, string>): Promise<string> {
  const dataSource = createDataSource(loadConfig(env(vars)));
  const err = await dataSource.initialize().then(
    () => dataSource.destroy().then(() => new Error('connected')),
    (e: Error) => e,
  );
  return err.message;
}

function migrate(vars: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const run = AppProcess.start('dist/libs/db/src/migrate.js', testEnv(vars));
  return run.exited.then((code) => ({ code, output: run.output }));
}

describe('DATABASE_CA: the CAs the database certificate must chain to', () => {
  it('with the server CA and sslmode=verify-full: the migrate CLI, the data source, the idempotency store and the ops pool connect over TLS', async () => {
    const vars = { DATABASE_URL: urlOf('?sslmode=verify-full'), DATABASE_CA: serverCa.certFile };
    const run = await migrate(vars);
    expect(run.output).toMatch(/applied: Init/);
    expect(run.code).toBe(0);

    expect(await connectsOverTls(vars)).toBe(true);
    // The same with no sslmode at all: DATABASE_CA alone makes the connection TLS.
    expect(await connectsOverTls({ DATABASE_URL: urlOf(''), DATABASE_CA: serverCa.certFile })).toBe(true);

    const store = new PostgresIdempotencyStore(loadConfig(env(vars)));
    try {
      expect(await store.sweep()).toBe(0);
    } finally {
      await store.close();
    }
    const pool = new Pool({ ...pgConnectionOptions(loadConfig(env(vars))), max: 1 });
    try {
      expect((await pool.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows).toEqual([{ ssl: true }]);
    } finally {
      await pool.end();
    }
  });

  it('with another CA: refused, and the error names DATABASE_CA and the code; the migrate CLI says so in one line', async () => {
    const vars = { DATABASE_URL: urlOf('?sslmode=verify-full'), DATABASE_CA: otherCa.certFile };
    const expected = new RegExp(`^Postgres at localhost:${cluster.port}: its certificate does not chain to a CA in DATABASE_CA=${otherCa.certFile} \\(SELF_SIGNED_CERT_IN_CHAIN\\); set DATABASE_CA to the CA that issued it`);
    expect(await refusal(vars)).toMatch(expected);

    const store = new PostgresIdempotencyStore(loadConfig(env(vars)));
    try {
      await expect(store.sweep()).rejects.toThrow(expected);
    } finally {
      await store.close();
    }

    const run = await migrate(vars);
    expect(run.code).toBe(1);
    expect(run.output.trim().split('\n')).toEqual([expect.stringMatching(/^migrate: Postgres at localhost:\d+: its certificate does not chain to a CA in DATABASE_CA=/)]);
  });

  it('unset: sslmode=require is verify-full in node-postgres, so the server CA not in Node store is refused, and the error says to set DATABASE_CA', async () => {
    const message = await refusal({ DATABASE_URL: urlOf('?sslmode=require') });
    expect(message).toMatch(/its certificate is not signed by a CA Node trusts \(SELF_SIGNED_CERT_IN_CHAIN\); set DATABASE_CA=rds for Amazon RDS, or DATABASE_CA=<absolute path/);
    // AWS's RDS bundle is real certificates, none of which signed this server's.
    expect(await refusal({ DATABASE_URL: urlOf('?sslmode=require'), DATABASE_CA: 'rds' })).toMatch(/does not chain to a CA in DATABASE_CA=rds \(SELF_SIGNED_CERT_IN_CHAIN\)/);
  });

  it('verifies the host name too (verify-full): the right CA by a name the certificate does not carry is refused', async () => {
    const message = await refusal({ DATABASE_URL: urlOf('?sslmode=verify-full', '127.0.0.1'), DATABASE_CA: serverCa.certFile });
    expect(message).toMatch(/^Postgres at 127\.0\.0\.1:\d+: its certificate is not issued for that host name \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
  });

  it('a server without TLS is refused when DATABASE_CA is set, saying that it requires TLS', () => {
    expect(withoutTls).toMatch(/^Postgres at localhost:\d+: the server does not offer TLS, which DATABASE_CA=.*spillway-test-ca\.crt requires/);
  });

  it('the IAM path (Lambda through RDS Proxy) verifies against DATABASE_CA as well', async () => {
    // The test cluster trusts local connections, so it never asks for the IAM token: only TLS is exercised.
    const iam = { DATABASE_IAM_AUTH: 'on', DATABASE_URL: urlOf('') };
    expect(await connectsOverTls({ ...iam, DATABASE_CA: serverCa.certFile })).toBe(true);
    expect(await refusal({ ...iam, DATABASE_CA: otherCa.certFile })).toMatch(/does not chain to a CA in DATABASE_CA=.*other-ca\.crt \(SELF_SIGNED_CERT_IN_CHAIN\)/);
  });

  it('the worker stops at once on an untrusted certificate (no minute of retries), naming DATABASE_CA', async () => {
    const started = Date.now();
    const worker = AppProcess.worker(testEnv({ DATABASE_URL: urlOf('?sslmode=verify-full'), DATABASE_CA: otherCa.certFile }));
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([worker.exited, new Promise((r) => (timer = setTimeout(r, 30_000, 'running')))]);
    clearTimeout(timer);
    await worker.stop('SIGKILL');
    expect(worker.output).toMatch(/DATABASE_CA=.*other-ca\.crt \(SELF_SIGNED_CERT_IN_CHAIN\)/);
    expect(code).not.toBe('running');
    expect(code).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
