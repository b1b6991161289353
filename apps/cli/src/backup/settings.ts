// Where backups go and how they are sealed: the environment of `npm run db:backup` / `db:restore`
// (and of the compose `backup` service), validated like the apps' own config.
import { EnvReader } from '@spillway/config/parse';

export interface BackupSettings {
  databaseUrl: string;
  /** S3-compatible object storage: Hetzner's (https://fsn1.your-objectstorage.com) or AWS S3. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Folder of this box's dumps inside the bucket, ending in `/`. */
  prefix: string;
  /** AES-256-GCM key, 32 bytes. */
  key: Buffer;
  retentionDays: number;
  /** Never delete below this many dumps, however old (a box that stopped backing up keeps its last ones). */
  keepMin: number;
}

/** The key in deploy/hetzner/secrets/backup.env.example, which anyone can read. */
export const EXAMPLE_KEY = 'ZXhhbXBsZS1rZXktY2hhbmdlLW1lLTMyLWJ5dGVzISE=';

export class BackupSettingsError extends Error {}

export function loadBackupSettings(env: NodeJS.ProcessEnv = process.env): BackupSettings {
  const r = new EnvReader(env);
  const endpoint = r.optional('BACKUP_S3_ENDPOINT');
  if (endpoint) r.url('BACKUP_S3_ENDPOINT', endpoint, ['http:', 'https:']);
  const bucket = r.optional('BACKUP_S3_BUCKET');
  if (!bucket) r.problems.push('BACKUP_S3_BUCKET: required (the bucket that holds the dumps)');
  const rawKey = r.optional('BACKUP_ENCRYPTION_KEY');
  const key = rawKey ? Buffer.from(rawKey, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) r.problems.push('BACKUP_ENCRYPTION_KEY: 32 bytes in base64 (make one with `openssl rand -base64 32`)');
  else if (rawKey === EXAMPLE_KEY) r.problems.push('BACKUP_ENCRYPTION_KEY: is the example from backup.env.example; make one with `openssl rand -base64 32`');
  let prefix = r.string('BACKUP_S3_PREFIX', 'spillway/postgres/');
  if (!prefix.endsWith('/')) prefix += '/';
  const settings: BackupSettings = {
    databaseUrl: r.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/test', ['postgres:', 'postgresql:']),
    endpoint,
    region: r.string('BACKUP_S3_REGION', 'us-east-1'),
    bucket: bucket ?? '',
    prefix,
    key,
    retentionDays: r.int('BACKUP_RETENTION_DAYS', 30, 1, 3650),
    keepMin: r.int('BACKUP_KEEP_MIN', 7, 1, 1000),
  };
  if (r.problems.length) throw new BackupSettingsError(r.problems.join('; '));
  return settings;
}
