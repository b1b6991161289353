import type { DataSourceOptions } from 'typeorm';
import { loadConfig } from '@spillway/config';
import { dataSourceOptions } from './data-source';

type PostgresConnectionOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

const options = (env: Record<string, string>) => dataSourceOptions(loadConfig(env)) as PostgresConnectionOptions & { extra: { max: number } };

describe('database connection options', () => {
  it('keeps a pool of 20 and the URL as it is by default; DB_POOL_MAX sets the pool', () => {
    const plain = options({ DATABASE_URL: 'postgres://app:secret@db:5432/spillway' });
    expect(plain.url).toBe('postgres://app:secret@db:5432/spillway');
    expect(plain.extra.max).toBe(20);
    expect(plain.password).toBeUndefined();
    expect(options({ DB_POOL_MAX: '2' }).extra.max).toBe(2);
    expect(() => loadConfig({ DB_POOL_MAX: '0' })).toThrow(/DB_POOL_MAX: must be an integer from 1 to 1000 \(got "0"\)/);
  });

  it('with DATABASE_CA: its CAs as ssl, the TLS parameters off the URL (node-postgres would let them replace ssl), the rest kept', () => {
    const withCa = options({ DATABASE_CA: 'rds', DATABASE_URL: 'postgres://app:secret@db.example:5432/spillway?sslmode=require&application_name=w' });
    expect(withCa.url).toBe('postgres://app:secret@db.example:5432/spillway?application_name=w');
    expect(withCa.ssl).toEqual({ ca: loadConfig({ DATABASE_CA: 'rds' }).databaseCa!.certificates, rejectUnauthorized: true });
    expect(options({}).ssl).toBeUndefined();
  });

  describe('DATABASE_IAM_AUTH=on', () => {
    const saved = { ...process.env };
    beforeAll(() => Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-example', AWS_SESSION_TOKEN: '' }));
    afterAll(() => {
      process.env = saved;
    });

    it('connects by parts over verified TLS, with a fresh IAM token as the password of each connection', async () => {
      const iam = options({ DATABASE_IAM_AUTH: 'on', DATABASE_URL: 'postgres://lambda_worker@proxy.example.eu-west-1.rds.amazonaws.com:5432/spillway', AWS_REGION: 'eu-west-1' });
      expect(iam.url).toBeUndefined();
      expect(iam).toMatchObject({ host: 'proxy.example.eu-west-1.rds.amazonaws.com', port: 5432, username: 'lambda_worker', database: 'spillway', ssl: { rejectUnauthorized: true } });
      const password = iam.password as () => Promise<string>;
      const token = await password();
      // An RDS IAM token is a presigned `connect` request for that host, port, user and region.
      expect(token).toMatch(/^proxy\.example\.eu-west-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=lambda_worker&/);
      expect(token).toContain('X-Amz-Credential=AKIDEXAMPLE%2F');
      expect(token).toContain('%2Feu-west-1%2Frds-db%2Faws4_request');
      expect(token).toMatch(/X-Amz-Expires=900/);
    });

    it('refuses a password in DATABASE_URL, which the token would replace', () => {
      expect(() => loadConfig({ DATABASE_IAM_AUTH: 'on', DATABASE_URL: 'postgres://u:pw@h/db' })).toThrow(
        /DATABASE_URL: holds a password, but DATABASE_IAM_AUTH=on makes an IAM token per connection; remove the password/,
      );
      expect(() => loadConfig({ DATABASE_IAM_AUTH: 'yes' })).toThrow(/DATABASE_IAM_AUTH: must be one of on, off \(got "yes"\)/);
    });
  });
});
