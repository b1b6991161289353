import type { DataSourceOptions } from 'typeorm';
import type { SpillwayConfig } from '@spillway/config';
import { databaseTls } from '@spillway/db-connection';

type PostgresConnectionOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

/**
 * DATABASE_IAM_AUTH=on (RDS, through RDS Proxy): the password is an IAM auth token, made for each
 * new connection (a token lasts 15 minutes, a pooled connection longer; node-postgres calls an
 * async password function per connect). Signing is local, with the process's AWS credentials (a
 * Lambda function's role), so it costs no request. IAM auth requires TLS, verified: against
 * DATABASE_CA when set (`rds` holds the Amazon roots RDS Proxy's ACM certificate chains to), else
 * against Node's store, which trusts those roots too (but not an RDS instance's own CA).
 */
export function iamConnection(config: SpillwayConfig): Partial<PostgresConnectionOptions> {
  const url = new URL(config.databaseUrl);
  const host = url.hostname;
  const port = Number(url.port || 5432);
  const username = decodeURIComponent(url.username);
  let signer: Promise<{ getAuthToken(): Promise<string> }> | undefined;
  return {
    host,
    port,
    username,
    database: decodeURIComponent(url.pathname.slice(1)),
    ssl: databaseTls(config) ?? { rejectUnauthorized: true },
    password: async () => {
      // Loaded only when IAM auth is on: a process on a password never loads the signer.
      signer ??= import('@aws-sdk/rds-signer').then(({ Signer }) => new Signer({ hostname: host, port, username, region: config.awsRegion }));
      return (await signer).getAuthToken();
    },
  };
}
