// Every Postgres connection of the apps is made from these: the TypeORM data source (worker,
// migrate, Lambda), the idempotency store's pool and the ops reports.
import { Client, ClientConfig } from 'pg';
import type { SpillwayConfig } from '@spillway/config';
import { databaseTlsError } from './tls-error';

/** URL parameters node-postgres turns into its `ssl` option, which would replace the one built here. */
const SSL_PARAMS = ['sslmode', 'ssl', 'sslrootcert', 'uselibpqcompat'];

/**
 * TLS options when DATABASE_CA is set: its CAs only, chain and host name verified (verify-full).
 * Undefined when unset: node-postgres then reads DATABASE_URL's own sslmode, against Node's store.
 */
export function databaseTls(config: SpillwayConfig): { ca: string[]; rejectUnauthorized: true } | undefined {
  return config.databaseCa ? { ca: config.databaseCa.certificates, rejectUnauthorized: true } : undefined;
}

/**
 * DATABASE_URL for a driver that is also given `ssl`: without the TLS parameters when DATABASE_CA
 * is set, since node-postgres lets the URL's `sslmode` replace an `ssl` object passed beside it.
 */
export function databaseUrlFor(config: SpillwayConfig): string {
  if (!config.databaseCa) return config.databaseUrl;
  const url = new URL(config.databaseUrl);
  for (const name of SSL_PARAMS) url.searchParams.delete(name);
  return url.toString();
}

/**
 * A node-postgres Client whose failed connect says, in one line, which setting would fix a
 * certificate the process does not trust. Pools (pg's and TypeORM's) take it as `Client`.
 */
export function databaseClientClass(config: SpillwayConfig): typeof Client {
  return class DatabaseClient extends Client {
    connect(): Promise<Client>;
    connect(callback: (err: Error) => void): void;
    connect(callback?: (err: Error) => void): Promise<Client> | void {
      if (callback) return super.connect((err: Error) => callback(err && databaseTlsError(err, config)));
      return super.connect().catch((err: Error) => {
        throw databaseTlsError(err, config);
      });
    }
  };
}

/** Options for `new Pool(...)` / `new Client(...)` from the validated config. */
export function pgConnectionOptions(config: SpillwayConfig): ClientConfig & { Client: typeof Client } {
  const ssl = databaseTls(config);
  return { connectionString: databaseUrlFor(config), ...(ssl ? { ssl } : {}), Client: databaseClientClass(config) };
}
