// The box's TLS certificate, read with a real handshake: the cutover refuses to start when it
// expires within CERT_MIN_DAYS, because during the split the box's ACME HTTP-01 renewal (Caddy)
// may be answered by the ALB, which holds no challenge token, so the renewal can fail until the
// cutover ends.
import { connect } from 'node:tls';

export const CERT_MIN_DAYS = 30;

/** Days until the certificate the server at host:port presents for `servername` expires. */
export function certificateDaysLeft(host: string, port: number, servername: string, timeoutMs = 3000, now = Date.now()): Promise<number> {
  return new Promise((resolve, reject) => {
    // Not verified: an expired or self-made certificate must still be read, to report its date.
    const socket = connect({ host, port, servername, rejectUnauthorized: false });
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (err) => (clearTimeout(timer), reject(err)));
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate();
      socket.end();
      if (!cert?.valid_to) return reject(new Error('the server presented no certificate'));
      resolve((Date.parse(cert.valid_to) - now) / 86_400_000);
    });
  });
}

/** The preflight's verdict: a problem (refuse), a warning (cannot tell), or nothing. */
export async function boxCertificateCheck(host: string, port: number, servername: string): Promise<{ problem?: string; warning?: string; ok?: string }> {
  let days: number;
  try {
    days = await certificateDaysLeft(host, port, servername);
  } catch (err) {
    return { warning: `could not read the box's TLS certificate at ${host}:${port} (${(err as Error).message})` };
  }
  const left = Math.floor(days);
  if (days < CERT_MIN_DAYS) {
    return {
      problem:
        `the box's TLS certificate for ${servername} (${host}:${port}) expires in ${left} days (under ${CERT_MIN_DAYS}): renew it first; ` +
        `during the split its ACME HTTP-01 renewal can be answered by the ALB and fail`,
    };
  }
  return { ok: `box certificate for ${servername} valid ${left} more days` };
}
