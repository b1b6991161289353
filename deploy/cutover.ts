// `npm run cutover -- --to <target> [--from <target>]`: move the public traffic between two targets
// chosen by name by changing the definition's weights, step by step, then empty the old side's
// queues and scale its workers down. Every step is logged and safe to re-run.
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Route53Client } from '@aws-sdk/client-route-53';
import { DataSource } from 'typeorm';
import { LANES, loadConfig, SpillwayConfig } from '@spillway/config';
import { dataSourceOptions, schemaIsCurrent } from '@spillway/db';
import { databaseAgreement } from '@spillway/db-move';
import { createQueueDriver, moveLane, pendingDeliveries, QueueDriver } from '@spillway/queue';
import { envContractProblems } from './cutover-contract';
import { ALB_ZONE_IDS, DnsEdge, listRecords, publishWeights, readState, returnToSimple } from './cutover-dns';
import { boxCertificateCheck } from './cutover-tls';
import { DrainRules, drainRules, runDrain, trafficFromMetrics } from './cutover-drain';
import { CutoverOptions, describePlan, formatWeights, parseCutoverArgs, plannedWeights, Side, weightProblem } from './cutover-plan';
import { TrafficWeights } from './model/definition';
import { payloadBucket } from './model/queues';
import { validateDefinition } from './model/validate';
import { ROOT } from './outputs';
import { spillway } from './spillway';

const NAMES = Object.keys(spillway.dns.records);

const HELP = `Usage: npm run cutover -- --to <target> [--from <target>] [options]

Targets taking traffic (dns.records in deploy/spillway.ts): ${NAMES.join(', ')}.
Shifts the public host's traffic from one target to another in steps (Route 53 weighted records,
one per target, changed through the Route 53 API; the first step turns the box's simple record into
the pair <box> 100 / <eks> 0 in one atomic batch; each step is also written to deploy/traffic.json),
then drains the old side: it is empty once its absorber takes no traffic and its queues read empty, both
without a break for the drain window; what is left after --drain-timeout is moved with
queue:move. Then it scales the old workers down. Re-running continues from the current weights.

  --to NAME              the target that gets the traffic
  --from NAME            the target that loses it (default: the other one, when two take traffic)
  --steps 10,50,100      the destination's weight at each step (rising, ending at 100)
  --hold S               seconds to watch both sides' readiness after each step (60)
  --apply CMD            publish each step with this command instead of the Route 53 API;
                         gets SPILLWAY_WEIGHT_<NAME> of every target in its environment (the only
                         way between two targets of one kind: the API path pairs a box and an ALB)
  --end-simple           at the end, replace the weighted pair by one simple record for the destination
  --box-address IP       the box's IPv4, needed only when the name is a simple alias to the ALB
  --alb-zone-id ID       the ALB's canonical hosted zone (default: by the EKS region)
  --box-tls HOST:PORT    where preflight reads the box's TLS certificate (default: the compose side's dns.records entry:443);
                         it refuses when that certificate expires within 30 days
  --scale-down CMD       run at the end to stop the old side's workers (default: print what to do)
  --<name>-url URL       that target's absorber base URL, for readiness (or CUTOVER_<NAME>_URL),
                         e.g. --hetzner-url, --eks-url
  --drain-timeout S      how long to wait for the old queues to empty before moving the rest (300)
  --drain-window S       how long the old absorber must take no traffic and its queues read empty,
                         without a break (default: the definition's dns.ttl + 60 s of SQS metrics lag)
  --drain-give-up S      stop (nothing scaled down) when no such window came within this long (3600)
  --<name>-metrics-url URL
                         where that absorber's counters are read (default: <its url>/metrics)
  --root DIR             where deploy/traffic.json and deploy/aws/rendered/ live (the repository)
  --dry-run              run the preflight and print the whole plan (steps, holds, drain, scale-down); change nothing

Each side's queues are reached with the driver of its broker (targets.<name>.broker.kind: ${NAMES.map((n) => `${n} ${spillway.targets[n].broker.kind}`).join(', ')})
and the apps' environment: REDIS_URL (bullmq), AWS_REGION / SQS_ENDPOINT (sqs), QUEUE_PREFIX (a target
with its own queuePrefix uses that; CUTOVER_<NAME>_QUEUE_PREFIX overrides; CUTOVER_<NAME>_REDIS_URL gives a
side on BullMQ its own Redis, e.g. an EKS target on ElastiCache), ROUTE53_ENDPOINT (a Route 53
stand-in, tests only), DATABASE_URL (the one Postgres both use).
CUTOVER_<NAME>_DATABASE_URL (default DATABASE_URL): each side's database, e.g. CUTOVER_HETZNER_DATABASE_URL;
traffic moves only when they are one database, or a db:move replication between them has lag 0.

Where to run it: on the box, over the move path (docs/move-path.md): the box's Redis at its tunnel
address (REDIS_URL=redis://<movePath.boxTunnelAddress>:6379), SQS over the Internet, RDS through the
tunnel; the EKS absorber's metrics through kubectl port-forward.`;

/** CUTOVER_<NAME>_<what>: the target's name upper-cased, `-` as `_`. */
const sideEnv = (side: Side, what: string): string | undefined => process.env[`CUTOVER_${side.toUpperCase().replace(/-/g, '_')}_${what}`];

/** One side's queues: its broker's driver, with its own queue prefix (and claim-check bucket, or Redis) when it names one. */
async function sideDriver(side: Side, config: SpillwayConfig): Promise<QueueDriver> {
  const t = spillway.targets[side];
  const own = t.kind === 'eks' && t.queuePrefix !== undefined;
  const queuePrefix = sideEnv(side, 'QUEUE_PREFIX') ?? (own ? t.queuePrefix! : config.queuePrefix);
  const bucket = own && t.kind === 'eks' ? { payloadBucket: payloadBucket(queuePrefix, t.accountId) } : {};
  // Two sides on BullMQ (the box and an EKS target on ElastiCache) are two Redis servers: each may name its own.
  const redisUrl = sideEnv(side, 'REDIS_URL') ?? config.redisUrl;
  return createQueueDriver({ ...config, queueDriver: t.broker.kind, queuePrefix, redisUrl, ...bucket });
}

const log = (line: string): void => {
  process.stdout.write(`${new Date().toISOString()} cutover: ${line}\n`);
};

async function readiness(url: string | undefined): Promise<number | string> {
  if (!url) return 'no URL given';
  try {
    return (await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(3000) })).status;
  } catch (err) {
    return (err as Error).message;
  }
}

async function preflight(o: CutoverOptions, drivers: Record<Side, QueueDriver>, config: SpillwayConfig, dns: Route53Client, edge: DnsEdge | undefined): Promise<void> {
  const problems: string[] = [];
  for (const side of [o.from, o.to]) {
    const status = await readiness(o.urls[side]);
    const unready = `${side} is not ready (${o.urls[side] ?? '?'}/health/ready: ${status})`;
    // Traffic may always move away from a broken side (a rollback); never towards one.
    if (status !== 200 && side === o.to) problems.push(unready);
    else if (status !== 200) log(`warning: ${unready}; moving its traffic away`);
    for (const lane of LANES) {
      await drivers[side].depth(lane).catch((err) => problems.push(`${side} queue for lane ${lane} is missing or unreachable: ${(err as Error).message}`));
    }
  }
  const dataSource = new DataSource(dataSourceOptions(config));
  try {
    await dataSource.initialize();
    if (!(await schemaIsCurrent(dataSource))) problems.push('the database has migrations this build would apply: deploy the same build on both sides first');
  } catch (err) {
    problems.push(`database unreachable: ${(err as Error).message}`);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
  // no traffic moves while the two sides write to different databases (docs/data-move.md)
  const db = (side: Side) => sideEnv(side, 'DATABASE_URL') ?? config.databaseUrl;
  const split = await databaseAgreement(db(o.from), db(o.to)).catch((err) => `database check failed: ${(err as Error).message}`);
  if (split) problems.push(split);
  problems.push(...envContractProblems(spillway, [o.from, o.to]));
  const current = weightProblem(JSON.parse(readFileSync(join(o.root ?? ROOT, 'deploy/traffic.json'), 'utf8')) as TrafficWeights, o);
  if (current) problems.push(current);
  // The box's certificate, when one side is a box (a compose target).
  const box = [o.from, o.to].find((n) => spillway.targets[n].kind === 'compose');
  const tls = o.boxTls ?? (box ? `${spillway.dns.records[box]}:443` : undefined);
  const cert: { problem?: string; warning?: string; ok?: string } = tls ? await boxCertificateCheck(tls.split(':')[0], Number(tls.split(':')[1] ?? 443), spillway.dns.name) : {};
  if (cert.problem) problems.push(cert.problem);
  if (cert.warning) log(`warning: ${cert.warning}`);
  // The records the steps will change: readable, and a simple A record or the cutover's own pair.
  if (edge) {
    try {
      const state = readState(await listRecords(dns, edge), edge);
      log(`dns: ${edge.name} is ${state.kind === 'simple' ? `a simple record for ${state.side} (the first step adopts it)` : `the weighted pair, ${edge.box} ${state.box.Weight} / ${edge.alb} ${state.alb.Weight}`}`);
    } catch (err) {
      problems.push(`dns: ${(err as Error).message}`);
    }
  }
  if (problems.length) throw new Error(`preflight failed:\n  ${problems.join('\n  ')}`);
  log(`preflight ok: ${o.to} ready, queues in place, one database (or replication lag 0), schema current, routes and env contract agree${cert.ok ? `, ${cert.ok}` : ''}`);
}

/** The current split, kept in the definition (deploy/traffic.json); no rendered output carries it. */
function writeWeights(root: string, weights: TrafficWeights): void {
  validateDefinition({ ...spillway, dns: { ...spillway.dns, weights } });
  writeFileSync(join(root, 'deploy/traffic.json'), `${JSON.stringify(weights, null, 2)}\n`);
}

const DNS_PUBLISH = 'Route 53 API: UPSERT the weighted pair (the first step adopts a simple record in one batch)';

/** The Route 53 API path pairs a box's A record and an ALB alias: one compose and one EKS side. */
function dnsEdge(o: CutoverOptions): DnsEdge {
  const box = [o.from, o.to].find((n) => spillway.targets[n].kind === 'compose');
  const alb = [o.from, o.to].find((n) => spillway.targets[n].kind === 'eks');
  const eks = alb === undefined ? undefined : spillway.targets[alb];
  if (box === undefined || eks?.kind !== 'eks') {
    throw new Error(`${o.from} and ${o.to} are not a box and an EKS target: the Route 53 API path moves a box's A record against an ALB alias; give --apply CMD to publish the weights`);
  }
  const albZoneId = o.albZoneId ?? ALB_ZONE_IDS[eks.region];
  if (!albZoneId) throw new Error(`no known ALB hosted zone for region ${eks.region}: give --alb-zone-id (aws elbv2 describe-load-balancers shows CanonicalHostedZoneId)`);
  return { zoneId: spillway.dns.zoneId, name: spillway.dns.name, box, alb: alb!, albDnsName: spillway.dns.records[alb!], albZoneId };
}

/** Route 53 is global; ROUTE53_ENDPOINT points the client at a stand-in (tests), which takes any credentials. */
function route53(): Route53Client {
  const endpoint = process.env.ROUTE53_ENDPOINT;
  if (!endpoint) return new Route53Client({ region: 'us-east-1' });
  const credentials = process.env.AWS_ACCESS_KEY_ID ? undefined : { accessKeyId: 'local', secretAccessKey: 'local' };
  return new Route53Client({ region: 'us-east-1', endpoint, credentials });
}

async function hold(o: CutoverOptions, step: TrafficWeights): Promise<void> {
  const until = Date.now() + o.holdS * 1000;
  do {
    const status = await readiness(o.urls[o.to]);
    if (status !== 200) {
      throw new Error(`${o.to} turned unready at ${formatWeights(step)} (${status}); roll back with --to ${o.from}${NAMES.length > 2 ? ` --from ${o.to}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(0, until - Date.now()))));
  } while (Date.now() < until);
}

/**
 * The old absorber's traffic counter, or undefined when nothing answers (then it takes none). An
 * answer without the counters means the URL is not the absorber's metrics listener (METRICS_PORT,
 * never the public port): the drain cannot see traffic there, so it stops rather than guess.
 */
async function traffic(url: string | undefined, flag: string): Promise<number | undefined> {
  if (!url) return undefined;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  } catch {
    return undefined;
  }
  const text = res.ok ? await res.text() : '';
  if (!/^spillway_events_accepted_total/m.test(text)) {
    throw new Error(`${url} answered ${res.status} without the absorber's counters; give ${flag} <the absorber's METRICS_PORT listener>/metrics`);
  }
  return trafficFromMetrics(text);
}

async function drainOldSide(o: CutoverOptions, drivers: Record<Side, QueueDriver>, rules: DrainRules): Promise<void> {
  const old = o.from;
  const metricsUrl = o.metricsUrls[old] ?? (o.urls[old] ? `${o.urls[old]}/metrics` : undefined);
  await runDrain(rules, {
    old,
    pending: async () => (await Promise.all(LANES.map((lane) => drivers[old].depth(lane)))).reduce((n, d) => n + pendingDeliveries(d), 0),
    traffic: () => traffic(metricsUrl, `--${old}-metrics-url`),
    move: async () => {
      for (const lane of LANES) await moveLane(lane, drivers[old], drivers[o.to], { concurrency: 8, timeoutS: o.drainTimeoutS, log });
    },
    log,
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  let o: CutoverOptions;
  try {
    o = parseCutoverArgs(argv, process.env, NAMES);
  } catch (err) {
    process.stderr.write(`cutover: ${(err as Error).message}\n\n${HELP}\n`);
    process.exit(2);
  }
  const root = o.root ?? ROOT;
  const current = JSON.parse(readFileSync(join(root, 'deploy/traffic.json'), 'utf8')) as TrafficWeights;
  const config = loadConfig();
  const drivers: Record<Side, QueueDriver> = { [o.from]: await sideDriver(o.from, config), [o.to]: await sideDriver(o.to, config) };
  const dns = route53();
  try {
    await Promise.all(Object.values(drivers).map((d) => d.waitUntilConnected(5000)));
    const edge = o.apply && !o.endSimple ? undefined : dnsEdge(o);
    await preflight(o, drivers, config, dns, edge);
    const plan = plannedWeights(current, o.from, o.to, o.steps);
    const rules = drainRules(o, spillway.dns.ttl);
    for (const line of describePlan(current, o, rules.windowS, spillway.dns.ttl, DNS_PUBLISH)) log(line);
    if (o.dryRun) {
      log('dry run: nothing changed');
      return;
    }
    for (const step of plan) {
      writeWeights(root, step);
      if (o.apply) {
        const weights = Object.fromEntries(Object.entries(step).map(([n, w]) => [`SPILLWAY_WEIGHT_${n.toUpperCase().replace(/-/g, '_')}`, String(w)]));
        execSync(o.apply, { cwd: root, stdio: 'inherit', env: { ...process.env, ...weights } });
      } else {
        await publishWeights(dns, edge!, step, log, o.boxAddress);
      }
      log(`applied ${formatWeights(step)}; holding ${o.holdS} s`);
      await hold(o, step);
    }
    await drainOldSide(o, drivers, rules);
    if (o.scaleDown) {
      execSync(o.scaleDown, { cwd: root, stdio: 'inherit' });
      log(`${o.from} workers scaled down`);
    } else {
      log(`now scale ${o.from}'s workers down (e.g. docker compose stop worker, or set the KEDA ScaledObject's paused-replicas to 0)`);
    }
    if (o.endSimple) await returnToSimple(dns, edge!, o.to, log);
    log(`done: all traffic on ${o.to}, ${o.from} queues empty`);
  } finally {
    dns.destroy();
    await Promise.all(Object.values(drivers).map((d) => d.close()));
  }
}

main().catch((err) => {
  process.stderr.write(`cutover: ${(err as Error).message}\n`);
  process.exit(1);
});
