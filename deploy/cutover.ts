// `npm run cutover -- --to eks|hetzner`: move the public traffic between the two targets by
// changing the definition's weights, step by step, then empty the old side's queues and scale its
// workers down. Every step is logged and safe to re-run.
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Route53Client } from '@aws-sdk/client-route-53';
import { DataSource } from 'typeorm';
import { LANES, loadConfig, QueueDriverName, SpillwayConfig } from '../libs/config/src';
import { dataSourceOptions, schemaIsCurrent } from '../libs/db/src';
import { databaseAgreement } from '../libs/db-move/src';
import { createQueueDriver, moveLane, pendingDeliveries, QueueDriver } from '../libs/queue/src';
import { envContractProblems } from './cutover-contract';
import { ALB_ZONE_IDS, DnsEdge, listRecords, publishWeights, readState, returnToSimple } from './cutover-dns';
import { boxCertificateCheck } from './cutover-tls';
import { DrainRules, drainRules, runDrain, trafficFromMetrics } from './cutover-drain';
import { CutoverOptions, describePlan, other, parseCutoverArgs, plannedWeights, Side } from './cutover-plan';
import { TrafficWeights } from './model/definition';
import { validateDefinition } from './model/validate';
import { ROOT } from './outputs';
import { spillway } from './spillway';

const HELP = `Usage: npm run cutover -- --to <eks|hetzner> [options]

Shifts the public host's traffic to one target in steps (Route 53 weighted records, changed through
the Route 53 API; the first step turns the box's simple record into the pair hetzner 100 / eks 0 in
one atomic batch; each step is also written to deploy/traffic.json), then drains
the old side: it is empty once its absorber takes no traffic and its queues read empty, both
without a break for the drain window; what is left after --drain-timeout is moved with
queue:move. Then it scales the old workers down. Re-running continues from the current weights.

  --to eks|hetzner       the side that gets the traffic
  --steps 10,50,100      the destination's weight at each step (rising, ending at 100)
  --hold S               seconds to watch both sides' readiness after each step (60)
  --apply CMD            publish each step with this command instead of the Route 53 API;
                         gets SPILLWAY_WEIGHT_HETZNER and SPILLWAY_WEIGHT_EKS in its environment
  --end-simple           at the end, replace the weighted pair by one simple record for the destination
  --box-address IP       the box's IPv4, needed only when the name is a simple alias to the ALB
  --alb-zone-id ID       the ALB's canonical hosted zone (default: by the EKS region)
  --box-tls HOST:PORT    where preflight reads the box's TLS certificate (default: dns.hetznerTarget:443);
                         it refuses when that certificate expires within 30 days
  --scale-down CMD       run at the end to stop the old side's workers (default: print what to do)
  --hetzner-url URL      the Hetzner absorber's base URL, for readiness (or CUTOVER_HETZNER_URL)
  --eks-url URL          the EKS absorber's base URL, for readiness (or CUTOVER_EKS_URL)
  --drain-timeout S      how long to wait for the old queues to empty before moving the rest (300)
  --drain-window S       how long the old absorber must take no traffic and its queues read empty,
                         without a break (default: the definition's dns.ttl + 60 s of SQS metrics lag)
  --drain-give-up S      stop (nothing scaled down) when no such window came within this long (3600)
  --hetzner-metrics-url URL, --eks-metrics-url URL
                         where the absorber's counters are read (default: <its url>/metrics)
  --root DIR             where deploy/traffic.json and deploy/aws/rendered/ live (the repository)
  --dry-run              run the preflight and print the whole plan (steps, holds, drain, scale-down); change nothing

Queues of both sides are reached with the apps' environment: REDIS_URL (hetzner, bullmq) and
AWS_REGION / SQS_ENDPOINT (eks, sqs), QUEUE_PREFIX, ROUTE53_ENDPOINT (a Route 53 stand-in, tests only), DATABASE_URL (the one Postgres both use).
CUTOVER_HETZNER_DATABASE_URL / CUTOVER_EKS_DATABASE_URL (default DATABASE_URL): each side's database;
traffic moves only when they are one database, or a db:move replication between them has lag 0.

Where to run it: on the box, over the move path (docs/move-path.md): the box's Redis at its tunnel
address (REDIS_URL=redis://<movePath.boxTunnelAddress>:6379), SQS over the Internet, RDS through the
tunnel; the EKS absorber's metrics through kubectl port-forward.`;

const DRIVER: Record<Side, QueueDriverName> = { hetzner: 'bullmq', eks: 'sqs' };

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
  for (const side of ['hetzner', 'eks'] as const) {
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
  const db = { hetzner: process.env.CUTOVER_HETZNER_DATABASE_URL ?? config.databaseUrl, eks: process.env.CUTOVER_EKS_DATABASE_URL ?? config.databaseUrl };
  const split = await databaseAgreement(db[other(o.to)], db[o.to]).catch((err) => `database check failed: ${(err as Error).message}`);
  if (split) problems.push(split);
  problems.push(...envContractProblems(spillway));
  const [host, port] = (o.boxTls ?? `${spillway.dns.hetznerTarget}:443`).split(':');
  const cert = await boxCertificateCheck(host, Number(port ?? 443), spillway.dns.name);
  if (cert.problem) problems.push(cert.problem);
  if (cert.warning) log(`warning: ${cert.warning}`);
  // The records the steps will change: readable, and a simple A record or the cutover's own pair.
  if (edge) {
    try {
      const state = readState(await listRecords(dns, edge), edge);
      log(`dns: ${edge.name} is ${state.kind === 'simple' ? `a simple record for ${state.side} (the first step adopts it)` : `the weighted pair, hetzner ${state.hetzner.Weight} / eks ${state.eks.Weight}`}`);
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
  writeFileSync(join(root, 'deploy/traffic.json'), `${JSON.stringify({ hetzner: weights.hetzner, eks: weights.eks }, null, 2)}\n`);
}

const DNS_PUBLISH = 'Route 53 API: UPSERT the weighted pair (the first step adopts a simple record in one batch)';

function dnsEdge(o: CutoverOptions): DnsEdge {
  const region = spillway.targets.eks.region;
  const albZoneId = o.albZoneId ?? ALB_ZONE_IDS[region];
  if (!albZoneId) throw new Error(`no known ALB hosted zone for region ${region}: give --alb-zone-id (aws elbv2 describe-load-balancers shows CanonicalHostedZoneId)`);
  return { zoneId: spillway.dns.zoneId, name: spillway.dns.name, albDnsName: spillway.dns.eksTarget, albZoneId };
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
      throw new Error(`${o.to} turned unready at hetzner ${step.hetzner} / eks ${step.eks} (${status}); roll back with --to ${other(o.to)}`);
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
  const old = other(o.to);
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
    o = parseCutoverArgs(argv, process.env);
  } catch (err) {
    process.stderr.write(`cutover: ${(err as Error).message}\n\n${HELP}\n`);
    process.exit(2);
  }
  const root = o.root ?? ROOT;
  const current = JSON.parse(readFileSync(join(root, 'deploy/traffic.json'), 'utf8')) as TrafficWeights;
  const config = loadConfig();
  const drivers = { hetzner: await createQueueDriver({ ...config, queueDriver: DRIVER.hetzner }), eks: await createQueueDriver({ ...config, queueDriver: DRIVER.eks }) };
  const dns = route53();
  try {
    await Promise.all(Object.values(drivers).map((d) => d.waitUntilConnected(5000)));
    const edge = o.apply && !o.endSimple ? undefined : dnsEdge(o);
    await preflight(o, drivers, config, dns, edge);
    const plan = plannedWeights(current, o.to, o.steps);
    const rules = drainRules(o, spillway.dns.ttl);
    for (const line of describePlan(current, o, rules.windowS, spillway.dns.ttl, DNS_PUBLISH)) log(line);
    if (o.dryRun) {
      log('dry run: nothing changed');
      return;
    }
    for (const step of plan) {
      writeWeights(root, step);
      if (o.apply) {
        execSync(o.apply, { cwd: root, stdio: 'inherit', env: { ...process.env, SPILLWAY_WEIGHT_HETZNER: String(step.hetzner), SPILLWAY_WEIGHT_EKS: String(step.eks) } });
      } else {
        await publishWeights(dns, edge!, step, log, o.boxAddress);
      }
      log(`applied hetzner ${step.hetzner} / eks ${step.eks}; holding ${o.holdS} s`);
      await hold(o, step);
    }
    await drainOldSide(o, drivers, rules);
    if (o.scaleDown) {
      execSync(o.scaleDown, { cwd: root, stdio: 'inherit' });
      log(`${other(o.to)} workers scaled down`);
    } else {
      log(`now scale ${other(o.to)}'s workers down (e.g. docker compose stop worker, or set the KEDA ScaledObject's paused-replicas to 0)`);
    }
    if (o.endSimple) await returnToSimple(dns, edge!, o.to, log);
    log(`done: all traffic on ${o.to}, ${other(o.to)} queues empty`);
  } finally {
    dns.destroy();
    await Promise.all(Object.values(drivers).map((d) => d.close()));
  }
}

main().catch((err) => {
  process.stderr.write(`cutover: ${(err as Error).message}\n`);
  process.exit(1);
});
