// Pure parts of `npm run cutover`: arguments and the weight steps, so they can be unit-tested.
// The two sides are targets chosen by name among those the public name's records point at.
import { TrafficWeights } from './model/definition';

/** A target's name (a key of dns.records and deploy/traffic.json). */
export type Side = string;

export interface CutoverOptions {
  /** The target that loses the traffic (--from; the other one when two targets take traffic). */
  from: Side;
  to: Side;
  steps: number[];
  holdS: number;
  dryRun: boolean;
  root?: string;
  apply?: string;
  scaleDown?: string;
  /** By target name: --<name>-url, else CUTOVER_<NAME>_URL. */
  urls: Record<Side, string | undefined>;
  /** Where each absorber's /metrics is read (default: <url>/metrics). */
  metricsUrls: Record<Side, string | undefined>;
  drainTimeoutS: number;
  /** The quiet-and-empty window; undefined means the definition's dns.ttl + the SQS metrics lag. */
  drainWindowS?: number;
  drainGiveUpS: number;
  /** The box's TLS listener, host:port, whose certificate preflight reads (default: dns.hetznerTarget:443). */
  boxTls?: string;
  /** The box's IPv4, for its weighted record when the name is a simple alias to the ALB. */
  boxAddress?: string;
  /** The ALB's canonical hosted zone id (default: by region, ALB_ZONE_IDS). */
  albZoneId?: string;
  /** At the end, replace the weighted pair by one simple record for the destination. */
  endSimple: boolean;
}

/** CUTOVER_<NAME>_URL: the name upper-cased, `-` as `_`. */
export const urlVariable = (name: Side) => `CUTOVER_${name.toUpperCase().replace(/-/g, '_')}_URL`;

/** `names`: the targets taking traffic (dns.records), in definition order. */
export function parseCutoverArgs(argv: string[], env: NodeJS.ProcessEnv, names: Side[] = ['hetzner', 'eks']): CutoverOptions {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = names.join(', ');
  const to = value('--to');
  if (!to || !names.includes(to)) throw new Error(`--to must name a target taking traffic: ${list}`);
  const others = names.filter((n) => n !== to);
  const from = value('--from') ?? (others.length === 1 ? others[0] : undefined);
  if (!from) throw new Error(`--from is required with more than two targets taking traffic (${list})`);
  if (!names.includes(from)) throw new Error(`--from must name a target taking traffic: ${list}`);
  if (from === to) throw new Error(`--from and --to are both ${to}: a cutover moves traffic between two targets`);
  const steps = (value('--steps') ?? '10,50,100').split(',').map((s) => Number(s.trim()));
  if (steps.some((w) => !Number.isInteger(w) || w < 0 || w > 100)) throw new Error('--steps: integers from 0 to 100, e.g. 10,50,100');
  if (steps.some((w, i) => i > 0 && w <= steps[i - 1])) throw new Error('--steps must rise, e.g. 10,50,100');
  if (steps[steps.length - 1] !== 100) throw new Error('--steps must end at 100: a cutover ends with all traffic on one side');
  const number = (flag: string, fallback: number) => {
    const n = Number(value(flag) ?? fallback);
    if (!(n >= 0)) throw new Error(`${flag} must be a number of seconds`);
    return n;
  };
  const byName = (flag: (n: Side) => string, variable?: (n: Side) => string) =>
    Object.fromEntries([from, to].map((n) => [n, value(flag(n)) ?? (variable ? env[variable(n)] : undefined)]));
  return {
    from,
    to,
    steps,
    holdS: number('--hold', 60),
    drainTimeoutS: number('--drain-timeout', 300),
    drainWindowS: value('--drain-window') === undefined ? undefined : number('--drain-window', 0),
    drainGiveUpS: number('--drain-give-up', 3600),
    dryRun: argv.includes('--dry-run'),
    root: value('--root'),
    apply: value('--apply'),
    scaleDown: value('--scale-down'),
    urls: byName((n) => `--${n}-url`, urlVariable),
    metricsUrls: byName((n) => `--${n}-metrics-url`),
    boxTls: value('--box-tls'),
    boxAddress: value('--box-address'),
    albZoneId: value('--alb-zone-id'),
    endSimple: argv.includes('--end-simple'),
  };
}

/** The whole plan as `--dry-run` prints it: steps, holds, the drain condition and the scale-down. */
/** `hetzner 90 / eks 10`: every target's weight, in the file's order. */
export const formatWeights = (w: TrafficWeights): string =>
  Object.entries(w)
    .map(([name, weight]) => `${name} ${weight}`)
    .join(' / ');

export function describePlan(current: TrafficWeights, o: CutoverOptions, drainWindowS: number, dnsTtlS: number, defaultApply: string): string[] {
  const publish = o.apply ? `run: ${o.apply}` : defaultApply;
  const from = o.from;
  const steps = plannedWeights(current, from, o.to, o.steps);
  const lines = [`plan: ${from} -> ${o.to}, now ${formatWeights(current)}`];
  steps.forEach((w, i) =>
    lines.push(
      `  step ${i + 1}/${steps.length}: set ${formatWeights(w)} (deploy/traffic.json), ${publish}`,
      `    hold ${o.holdS} s: ${o.to} readiness (${o.urls[o.to] ?? '?'}/health/ready) must stay 200, else stop and say how to roll back`,
    ),
  );
  if (steps.length === 0) lines.push('  no weight step left: traffic is already on ' + o.to);
  lines.push(
    `  drain ${from}: done once its absorber takes no traffic (${o.metricsUrls[from] ?? `${o.urls[from] ?? '?'}/metrics`}: accepted + refused counters still)` +
      ` AND its queues read empty, both without a break for ${drainWindowS} s (DNS TTL ${dnsTtlS} s + SQS metrics lag, or --drain-window)`,
    `    after ${o.drainTimeoutS} s, anything still in ${from}'s queues is moved to ${o.to} (queue:move), late arrivals too; the window starts over after each move`,
    `    no such window within ${o.drainGiveUpS} s: stop, nothing scaled down`,
    `  scale down ${from}'s workers: ${o.scaleDown ?? 'print what to do (no --scale-down given)'}`,
  );
  if (o.endSimple) lines.push(`  end: the weighted pair becomes one simple record for ${o.to} (one Route 53 batch)`);
  return lines;
}

/**
 * The weights to apply, in order, skipping steps already behind the current split: re-running an
 * interrupted cutover picks up where it stopped (the step it stopped on is applied again). Every
 * other target keeps weight 0 (weightProblem refuses to start otherwise); the keys keep the file's order.
 */
export function plannedWeights(current: TrafficWeights, from: Side, to: Side, steps: number[]): TrafficWeights[] {
  return steps
    .filter((w) => w >= (current[to] ?? 0))
    .map((w) => Object.fromEntries(Object.keys({ ...current, [from]: 0, [to]: 0 }).map((n) => [n, n === to ? w : n === from ? 100 - w : 0])));
}

/** A cutover moves traffic between two targets only: any third one must hold none. */
export function weightProblem(current: TrafficWeights, o: Pick<CutoverOptions, 'from' | 'to'>): string | undefined {
  const others = Object.entries(current).filter(([n, w]) => n !== o.from && n !== o.to && w !== 0);
  if (others.length) return `deploy/traffic.json gives ${formatWeights(Object.fromEntries(others))} to targets other than ${o.from} and ${o.to}; move that traffic first`;
  return undefined;
}
