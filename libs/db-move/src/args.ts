// Command-line options of `npm run db:move`, parsed and checked before anything connects.
export type MoveMode = 'dump' | 'replicate';

export interface MoveOptions {
  from: string;
  to: string;
  mode: MoveMode;
  verifyOnly: boolean;
  dryRun: boolean;
  /** replicate mode: stop-writes-already-done -> lag 0 -> sequences -> verify -> remove publication and slot */
  switchOver: boolean;
  /** replicate mode: remove the subscription, slot and publication without switching */
  abort: boolean;
  withAuthUsers: boolean;
  standIns: boolean;
  jobs: number;
  /** how the target server reaches the source, when it differs from --from (replicate mode) */
  sourceUrlForTarget?: string;
  /** extra schemas to leave out */
  excludeSchemas: string[];
  /** directory holding pg_dump and psql (default: found on PATH and in /usr/lib/postgresql/N/bin) */
  pgBin?: string;
  lagTimeoutS: number;
}

export const HELP = `Usage: npm run db:move -- --from <postgres url> --to <postgres url> [options]

Copies a Postgres database (Supabase, the Hetzner box) into another (RDS), then verifies it:
preflight -> schema (no owners, no grants) -> data -> sequences -> verify. Re-running after an
interruption resumes: a table is either complete on the target or copied again. The source is
only read (replicate mode adds a publication and a slot there, removed at the end).

  --from URL             the source database
  --to URL               the target database (empty, or left by an interrupted db:move)
  --mode dump|replicate  dump (default): streamed COPY of every table, in parallel; stop writes first.
                         replicate: logical replication (publication + subscription); writes go on
                         until you stop them and run again with --switch
  --switch               replicate mode: after you stopped writes: wait for lag 0, sync sequences,
                         verify, remove the subscription, slot and publication
  --abort                replicate mode: remove the subscription, slot and publication, nothing else
  --verify-only          compare source and target only (exit 1 naming each difference)
  --dry-run              run the preflight and print the plan; change nothing
  --with-auth-users      Supabase: bring auth.users along (needed when your tables reference it)
  --stand-ins            Supabase: create on the target the roles (anon, authenticated, service_role)
                         and the auth.uid()/auth.role()/auth.jwt() functions your policies use
  --exclude-schema S     leave schema S out too (repeatable)
  --jobs N               tables copied at once (4)
  --source-url-for-target URL  how the target server reaches the source (replicate; default --from)
  --pg-bin DIR           where pg_dump and psql are (default: PATH, then /usr/lib/postgresql/*/bin)
  --lag-timeout S        replicate --switch: how long to wait for lag 0 (300)

Box to RDS: run it on the box, over the move path (docs/move-path.md): --from the box's Postgres at
its tunnel address (postgres://...@<movePath.boxTunnelAddress>:5432/...), --to the RDS endpoint
(reached through the tunnel); in replicate mode RDS reaches the box at the same tunnel address.`;

export function parseMoveArgs(argv: string[]): MoveOptions {
  const o: Partial<MoveOptions> & { excludeSchemas: string[] } = { mode: 'dump', verifyOnly: false, dryRun: false, switchOver: false, abort: false, withAuthUsers: false, standIns: false, jobs: 4, excludeSchemas: [], lagTimeoutS: 300 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
      return v;
    };
    const positive = (name: string, v: string): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number above 0 (got "${v}")`);
      return n;
    };
    switch (flag) {
      case '--from': o.from = value(); break;
      case '--to': o.to = value(); break;
      case '--mode': {
        const m = value();
        if (m !== 'dump' && m !== 'replicate') throw new Error(`--mode must be dump or replicate (got "${m}")`);
        o.mode = m;
        break;
      }
      case '--switch': o.switchOver = true; break;
      case '--abort': o.abort = true; break;
      case '--verify-only': o.verifyOnly = true; break;
      case '--dry-run': o.dryRun = true; break;
      case '--with-auth-users': o.withAuthUsers = true; break;
      case '--stand-ins': o.standIns = true; break;
      case '--exclude-schema': o.excludeSchemas.push(value()); break;
      case '--jobs': o.jobs = positive('--jobs', value()); break;
      case '--source-url-for-target': o.sourceUrlForTarget = value(); break;
      case '--pg-bin': o.pgBin = value(); break;
      case '--lag-timeout': o.lagTimeoutS = positive('--lag-timeout', value()); break;
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  if (!o.from) throw new Error('--from <postgres url> is required');
  if (!o.to) throw new Error('--to <postgres url> is required');
  for (const [name, url] of [['--from', o.from], ['--to', o.to]] as const) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`${name} must be a postgres:// URL (got "${redact(url)}")`);
  }
  if ((o.switchOver || o.abort) && o.mode !== 'replicate') throw new Error('--switch and --abort belong to --mode replicate');
  if (o.switchOver && o.abort) throw new Error('--switch and --abort exclude each other');
  return o as MoveOptions;
}

/**
 * A URL fit for logs: the password replaced, in the userinfo (up to the last `@` before the host,
 * so a raw `@` in the password does not leave its tail) and in a `password=` query parameter.
 */
export function redact(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i, (_m, scheme: string, userinfo: string) =>
      userinfo.includes(':') ? `${scheme}${userinfo.slice(0, userinfo.indexOf(':'))}:***@` : `${scheme}${userinfo}@`,
    )
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}
