// Pure parts of `npm run cutover`: arguments and the weight steps, so they can be unit-tested.
import { TrafficWeights } from './model/definition';

export type Side = keyof TrafficWeights;

export interface CutoverOptions {
  to: Side;
  steps: number[];
  holdS: number;
  dryRun: boolean;
  root?: string;
  apply?: string;
  scaleDown?: string;
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

export const other = (side: Side): Side => (side === 'eks' ? 'hetzner' : 'eks');

export function parseCutoverArgs(argv: string[], env: NodeJS.ProcessEnv): CutoverOptions {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const to = value('--to');
  if (to !== 'eks' && to !== 'hetzner') throw new Error('--to must be eks or hetzner');
  const steps = (value('--steps') ?? '10,50,100').split(',').map((s) => Number(s.trim()));
  if (steps.some((w) => !Number.isInteger(w) || w < 0 || w > 100)) throw new Error('--steps: integers from 0 to 100, e.g. 10,50,100');
  if (steps.some((w, i) => i > 0 && w <= steps[i - 1])) throw new Error('--steps must rise, e.g. 10,50,100');
  if (steps[steps.length - 1] !== 100) throw new Error('--steps must end at 100: a cutover ends with all traffic on one side');
  const number = (flag: string, fallback: number) => {
    const n = Number(value(flag) ?? fallback);
    if (!(n >= 0)) throw new Error(`${flag} must be a number of seconds`);
    return n;
  };
  return {
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
    urls: { hetzner: value('--hetzner-url') ?? env.CUTOVER_HETZNER_URL, eks: value('--eks-url') ?? env.CUTOVER_EKS_URL },
    metricsUrls: { hetzner: value('--hetzner-metrics-url'), eks: value('--eks-metrics-url') },
    boxTls: value('--box-tls'),
    boxAddress: value('--box-address'),
    albZoneId: value('--alb-zone-id'),
    endSimple: argv.includes('--end-simple'),
  };
}

/** The whole plan as `--dry-run` prints it: steps, holds, the drain condition and the scale-down. */
export function describePlan(current: TrafficWeights, o: CutoverOptions, drainWindowS: number, dnsTtlS: number, defaultApply: string): string[] {
  const publish = o.apply ? `run: ${o.apply}` : defaultApply;
  const from = other(o.to);
  const steps = plannedWeights(current, o.to, o.steps);
  const lines = [`plan: ${from} -> ${o.to}, now hetzner ${current.hetzner} / eks ${current.eks}`];
  steps.forEach((w, i) =>
    lines.push(
      `  step ${i + 1}/${steps.length}: set hetzner ${w.hetzner} / eks ${w.eks} (deploy/traffic.json), ${publish}`,
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
 * interrupted cutover picks up where it stopped (the step it stopped on is applied again).
 */
export function plannedWeights(current: TrafficWeights, to: Side, steps: number[]): TrafficWeights[] {
  const from = other(to);
  return steps
    .filter((w) => w >= current[to])
    .map((w) => ({ [to]: w, [from]: 100 - w }) as unknown as TrafficWeights);
}
