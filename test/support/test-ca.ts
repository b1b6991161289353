// Certificate authorities made with openssl for a test: a root CA, and server certificates it signs.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCa {
  /** PEM file of the CA's certificate (what DATABASE_CA points at). */
  certFile: string;
  keyFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed root CA in `dir`, named `name`. */
export function makeCa(dir: string, name: string): TestCa {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', keyFile, '-out', certFile,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return { certFile, keyFile };
}

/**
 * A server certificate for `dnsName` signed by `ca`. The certificate file holds the server's
 * certificate and then the CA's, the chain a server such as RDS sends (so a client that does not
 * trust the root sees SELF_SIGNED_CERT_IN_CHAIN).
 */
export function makeServerCert(dir: string, ca: TestCa, dnsName: string): { certFile: string; keyFile: string } {
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const leaf = join(dir, 'server-leaf.crt');
  const ext = join(dir, 'server.ext');
  writeFileSync(ext, `subjectAltName=DNS:${dnsName}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${dnsName}`, '-keyout', keyFile, '-out', csr], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', leaf], dir);
  const certFile = join(dir, 'server.crt');
  writeFileSync(certFile, readFileSync(leaf, 'utf8') + readFileSync(ca.certFile, 'utf8'));
  return { certFile, keyFile };
}
