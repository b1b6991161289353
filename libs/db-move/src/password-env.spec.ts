import { passwordToEnv, toolInvocation } from './password-env';
import { subscriptionPasswordWarning } from './replicate';

describe('passwords out of client tools\' arguments', () => {
  it('moves a userinfo password (percent-decoded) and a password parameter into PGPASSWORD', () => {
    expect(passwordToEnv('postgres://u:p%40ss@h:5432/db?sslmode=require')).toEqual({ url: 'postgres://u@h:5432/db?sslmode=require', env: { PGPASSWORD: 'p@ss' } });
    expect(passwordToEnv('postgresql://u@h/db?password=q%26r&sslmode=disable')).toEqual({ url: 'postgresql://u@h/db?sslmode=disable', env: { PGPASSWORD: 'q&r' } });
    expect(passwordToEnv('postgres://u@h/db')).toEqual({ url: 'postgres://u@h/db', env: {} });
  });

  it('rewrites only the URL after --dbname', () => {
    const r = toolInvocation(['--format=custom', '--dbname', 'postgres://u:secret@h/db', '--file', 'x']);
    expect(r.args).toEqual(['--format=custom', '--dbname', 'postgres://u@h/db', '--file', 'x']);
    expect(r.env.PGPASSWORD).toBe('secret');
  });
});

describe('CREATE SUBSCRIPTION', () => {
  it('warns that the source password lands in the target catalog, without printing it', () => {
    const w = subscriptionPasswordWarning('postgres://rep:s3cret@old-host/app');
    expect(w).toMatch(/keeps the source's password in the target's catalog \(pg_subscription.subconninfo/);
    expect(w).not.toContain('s3cret');
    expect(subscriptionPasswordWarning('postgres://rep@old-host/app')).toBeUndefined();
  });
});
