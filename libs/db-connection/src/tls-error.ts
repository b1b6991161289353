import type { SpillwayConfig } from '@spillway/config';

/** OpenSSL's verdicts on a certificate chain Node could not tie to a trusted CA. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** An Error with the original's code and the original as its cause, so callers that test `code` still can. */
class DatabaseTlsError extends Error {
  readonly code?: string;
  constructor(message: string, cause: Error) {
    super(message, { cause });
    this.name = 'DatabaseTlsError';
    this.code = (cause as NodeJS.ErrnoException).code;
  }
}

function host(config: SpillwayConfig): string {
  return URL.canParse(config.databaseUrl) ? new URL(config.databaseUrl).host : 'DATABASE_URL';
}

/**
 * A TLS failure reaching Postgres, reworded to name the setting that fixes it; any other error is
 * returned as it is.
 */
export function databaseTlsError(err: Error, config: SpillwayConfig): Error {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const ca = config.databaseCa?.setting;
  const at = `Postgres at ${host(config)}`;
  if (UNTRUSTED.has(code)) {
    const message = ca
      ? `${at}: its certificate does not chain to a CA in DATABASE_CA=${ca} (${code}); set DATABASE_CA to the CA that issued it (rds for Amazon RDS)`
      : `${at}: its certificate is not signed by a CA Node trusts (${code}); set DATABASE_CA=rds for Amazon RDS, or DATABASE_CA=<absolute path of the server CA's PEM file>`;
    return new DatabaseTlsError(message, err);
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new DatabaseTlsError(`${at}: its certificate is not issued for that host name (${code}); use the host name it names in DATABASE_URL`, err);
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new DatabaseTlsError(`${at}: its certificate is outside its validity dates (${code}); renew the server's certificate or check the clock`, err);
  }
  if (ca && /does not support SSL/i.test(err.message)) {
    return new DatabaseTlsError(`${at}: the server does not offer TLS, which DATABASE_CA=${ca} requires; turn ssl on in Postgres or unset DATABASE_CA`, err);
  }
  return err;
}

/** True for the errors above that a retry cannot cure (only a setting or a certificate can). */
export function isDatabaseTlsError(err: unknown): boolean {
  return err instanceof DatabaseTlsError;
}
