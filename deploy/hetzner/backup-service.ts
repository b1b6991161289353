// The compose `backup` service: `npm run db:backup --every <hours>` in an image built FROM the
// Postgres image (so pg_dump matches the server's major version) with Node and the build added.
import { ComposeDefinition, Resources } from '../model/definition';
import { secretFile } from './secret-files';

type Obj = Record<string, unknown>;

/** `spillway:local` -> `spillway-backup:local`. */
function backupImage(image: string): string {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? `${image.slice(0, at)}-backup${image.slice(at)}` : `${image}-backup`;
}

export function backupService(def: ComposeDefinition, resources: (r: Resources) => Obj): Obj {
  const het = def.target;
  const b = het.backup;
  const environment: Record<string, string> = {
    BACKUP_KEEP_MIN: String(b.keepMin),
    BACKUP_RETENTION_DAYS: String(b.retentionDays),
    BACKUP_S3_BUCKET: b.s3.bucket,
    BACKUP_S3_PREFIX: b.s3.prefix,
    BACKUP_S3_REGION: b.s3.region,
  };
  if (b.s3.endpoint) environment.BACKUP_S3_ENDPOINT = b.s3.endpoint;
  return {
    backup: {
      build: { context: '.', target: 'backup' },
      image: backupImage(het.image),
      command: ['node', 'dist/apps/cli/src/db-backup.js', '--every', String(b.everyHours)],
      environment,
      env_file: [secretFile(def, 'backup')],
      'x-secrets': [...b.secrets].sort(),
      depends_on: { postgres: { condition: 'service_healthy' } },
      // The dump and its encrypted copy are written here, not to the read-only root fs or RAM.
      volumes: ['backup-work:/work'],
      deploy: { resources: resources(b.resources) },
      restart: 'unless-stopped',
      read_only: true,
      cap_drop: ['ALL'],
      security_opt: ['no-new-privileges:true'],
    },
  };
}
