/** `npm run bench -- [flags]`; every figure the bench prints comes from the run these flags describe. */
export interface BenchArgs {
  /** http: the saturation run, then (rate > 0, BullMQ) the fixed-rate run; rate: the fixed-rate run alone. */
  mode: 'http' | 'e2e' | 'profile' | 'idle' | 'rate';
  driver: 'bullmq' | 'sqs';
  /** Measured window per server, seconds. */
  duration: number;
  warmup: number;
  connections: number;
  servers: string[];
  /** Interleaved rounds (a, b, c, a, b, c...): the median round per server is reported. */
  rounds: number;
  aof: boolean;
  /**
   * e2e: events to post, worker processes (one by default: on 2 CPUs beside the absorber a second
   * process measured no faster), deliveries in flight per lane and worker.
   */
  events: number;
  /** Events per request: 1 (the single route) unless given; --e2e defaults to 100. */
  batch?: number;
  workers: number;
  concurrency: number;
  outDir: string;
  /** Another build of the absorber (a copy of an earlier dist/) to measure beside this one. */
  baselineDist?: string;
  /** Extra node flags for the absorber process (V8 heap experiments), e.g. "--max-semi-space-size=8". */
  nodeArgs: string[];
  /** --idle: seconds each process is counted at rest. */
  idleSeconds: number;
  /** The fixed-rate run: arrivals per second offered to each server (0: no fixed-rate run), and its measured seconds. */
  rate: number;
  rateSeconds: number;
  /** The fixed-rate run drains with a worker on the same box (false: --no-worker, to see the absorber alone). */
  rateWorker: boolean;
  /** The fixed-rate run: each server's stdout and stderr saved here, one file a round (for --node-args "--trace-gc"). */
  logsDir?: string;
}

const USAGE = `usage: npm run bench -- [--e2e | --profile | --idle [--idle-seconds S] | --fixed-rate] [--rate N] [--rate-seconds S] [--no-worker]
       [--driver bullmq|sqs] [--duration S] [--warmup S]
       [--connections N] [--servers absorber,fastify,naive] [--rounds N] [--no-aof]
       [--events N] [--batch N] [--workers N] [--concurrency N] [--out DIR] [--baseline DIST_DIR] [--node-args "FLAGS"] [--logs DIR]`;

function positiveInt(flag: string, value: string | undefined, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${flag}: an integer from 1 to ${max} (got ${value})\n${USAGE}`);
  return n;
}

export function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = {
    mode: 'http',
    driver: 'bullmq',
    duration: 8,
    warmup: 3,
    connections: 100,
    servers: ['absorber', 'fastify', 'naive'],
    rounds: 3,
    aof: true,
    events: 100_000,
    workers: 1,
    concurrency: 16,
    outDir: 'bench/results',
    nodeArgs: [],
    idleSeconds: 60,
    rate: 2000,
    rateSeconds: 20,
    rateWorker: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i];
    switch (flag) {
      case '--e2e':
        args.mode = 'e2e';
        break;
      case '--profile':
        args.mode = 'profile';
        break;
      case '--idle':
        args.mode = 'idle';
        break;
      case '--fixed-rate':
        args.mode = 'rate';
        break;
      case '--rate': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 0 || n > 50_000) throw new Error(`--rate: an integer from 0 to 50000 (got ${argv[i]})\n${USAGE}`);
        args.rate = n;
        break;
      }
      case '--no-worker':
        args.rateWorker = false;
        break;
      case '--rate-seconds':
        args.rateSeconds = positiveInt(flag, value(), 3600);
        break;
      case '--idle-seconds':
        args.idleSeconds = positiveInt(flag, value(), 600);
        break;
      case '--driver': {
        const driver = value();
        if (driver !== 'bullmq' && driver !== 'sqs') throw new Error(`--driver: bullmq or sqs (got ${driver})`);
        args.driver = driver;
        break;
      }
      case '--duration':
        args.duration = positiveInt(flag, value(), 300);
        break;
      case '--warmup':
        args.warmup = positiveInt(flag, value(), 60);
        break;
      case '--connections':
        args.connections = positiveInt(flag, value(), 1000);
        break;
      case '--servers':
        args.servers = value().split(',');
        for (const s of args.servers) if (!['absorber', 'fastify', 'naive'].includes(s)) throw new Error(`--servers: unknown server ${s}`);
        break;
      case '--rounds':
        args.rounds = positiveInt(flag, value(), 5);
        break;
      case '--no-aof':
        args.aof = false;
        break;
      case '--events':
        args.events = positiveInt(flag, value(), 5_000_000);
        break;
      case '--batch':
        args.batch = positiveInt(flag, value(), 500);
        break;
      case '--workers':
        args.workers = positiveInt(flag, value(), 16);
        break;
      case '--concurrency':
        args.concurrency = positiveInt(flag, value(), 256);
        break;
      case '--out':
        args.outDir = value();
        break;
      case '--node-args':
        args.nodeArgs = value().split(' ').filter(Boolean);
        break;
      case '--baseline':
        args.baselineDist = value();
        break;
      case '--logs':
        args.logsDir = value();
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return process.exit(0);
      default:
        throw new Error(`unknown flag ${flag}\n${USAGE}`);
    }
  }
  return args;
}
