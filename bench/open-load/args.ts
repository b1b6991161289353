// `npm run load` arguments: every error names the flag and what was wrong.
export interface LoadArgs {
  url: string;
  rps: number;
  durationSeconds: number;
  apiKey?: string;
  databaseUrl?: string;
  maxInFlight: number;
  timeoutMs: number;
  drainStallSeconds: number;
  /** Count each acknowledged event's applications (a trigger on `events`); exit 1 on a double. */
  countEffects: boolean;
  json: boolean;
}

export const LOAD_HELP = `Usage: npm run load -- --url <url> --rps <n> --duration <seconds> [options]

Open-model load (a fixed arrival rate: each request is sent on schedule whether or not earlier ones
were answered) against POST <url>/v1/events, in the definition's lane mix (deploy/spillway.ts, load).
Reports p50/p95/p99 (timed from each request's scheduled arrival), failures, dropped arrivals and the
definition's thresholds; with a database, whether every acknowledged (202) event was processed.

  --url <url>            the absorber, e.g. http://127.0.0.1:8080 or https://staging.example.com
  --rps <n>              arrivals per second
  --duration <s>         seconds of load
  --api-key <key>        sent as Authorization: Bearer <key> (default: env LOAD_API_KEY)
  --database-url <url>   Postgres the workers write to (default: env DATABASE_URL); then wait for the
                         queues to drain and check processed_events for every acknowledged id
  --max-in-flight <n>    arrivals finding n requests unanswered are dropped and counted (default 5000)
  --timeout <ms>         a request unanswered after this is an error (default 10000)
  --drain-stall <s>      stop waiting for the drain after s seconds without progress (default 30)
  --count-effects        with a database: install a trigger on the reference handler's \`events\` table
                         that counts every application (no unique key folds a repeat), report ids
                         applied more than once, then remove it (for test and staging databases)
  --json                 the summary as JSON on stdout
  --help                 this text
Exit codes: 0 thresholds met and (with a database) every acknowledged event processed (and, with
--count-effects, none applied twice);
1 otherwise; 2 bad arguments, or the absorber or Postgres unreachable.`;

export class ArgsError extends Error {}

function positive(flag: string, raw: string | undefined, integer = false): number {
  const n = Number(raw);
  if (raw === undefined || raw.startsWith('--')) throw new ArgsError(`${flag} needs a value; see --help`);
  if (!(Number.isFinite(n) && n > 0) || (integer && !Number.isInteger(n))) {
    throw new ArgsError(`${flag}: "${raw}" must be a ${integer ? 'whole ' : ''}number > 0`);
  }
  return n;
}

export function parseLoadArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): LoadArgs | 'help' {
  const a: Partial<LoadArgs> = {
    apiKey: env.LOAD_API_KEY || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    maxInFlight: 5000,
    timeoutMs: 10_000,
    drainStallSeconds: 30,
    countEffects: false,
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new ArgsError(`${flag} needs a value; see --help`);
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--url': {
        const v = next();
        let u: URL;
        try {
          u = new URL(v);
        } catch {
          throw new ArgsError(`--url: "${v}" is not a URL (e.g. http://127.0.0.1:8080)`);
        }
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ArgsError(`--url: "${v}" must be http:// or https://`);
        a.url = v;
        break;
      }
      case '--rps':
        a.rps = positive(flag, argv[++i]);
        break;
      case '--duration':
        a.durationSeconds = positive(flag, argv[++i]);
        break;
      case '--api-key':
        a.apiKey = next();
        break;
      case '--database-url':
        a.databaseUrl = next();
        break;
      case '--max-in-flight':
        a.maxInFlight = positive(flag, argv[++i], true);
        break;
      case '--timeout':
        a.timeoutMs = positive(flag, argv[++i], true);
        break;
      case '--drain-stall':
        a.drainStallSeconds = positive(flag, argv[++i]);
        break;
      case '--json':
        a.json = true;
        break;
      case '--count-effects':
        a.countEffects = true;
        break;
      default:
        throw new ArgsError(`unknown option ${flag}; see --help`);
    }
  }
  for (const [key, flag] of [['url', '--url'], ['rps', '--rps'], ['durationSeconds', '--duration']] as const) {
    if (a[key] === undefined) throw new ArgsError(`${flag} is required; see --help`);
  }
  if (a.countEffects && !a.databaseUrl) throw new ArgsError('--count-effects needs the database: --database-url or DATABASE_URL');
  return a as LoadArgs;
}
