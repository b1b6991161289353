// The cutover's orchestration (`npm run cutover`, deploy/cutover.ts): preflight, the steps, each
// one's hold, the old side's drain, scale-down. Callable in-process (tests, mutation testing) with
// its arguments, environment and output given; the CLI passes its own.
import { spawn } from 'node:child_process';
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
import { CUTOVER_HELP, CUTOVER_NAMES as NAMES } from './cutover-help';
import { boxCertificateCheck } from './cutover-tls';
import { DrainRules, drainRules, runDrain, trafficFromMetrics } from './cutover-drain';
import { CutoverOptions, describePlan, formatWeights, parseCutoverArgs, plannedWeights, Side, weightProblem } from './cutover-plan';
import { TrafficWeights } from './model/definition';
import { payloadBucket } from './model/queues';
import { validateDefinition } from './model/validate';
import { ROOT } from './outputs';
import { spillway } from './spillway';

/** Where the run writes: its log lines (stdout for the CLI) and its refusals (stderr). */
export interface CutoverIo {
  out(text: string): void;
  err(text: string): void;
}

type Log = (line: string) => void;

/** What one run reads and writes besides its flags. */
interface Run {
  o: CutoverOptions;
  env: NodeJS.ProcessEnv;
  log: Log;
}

/** CUTOVER_<NAME>_<what>: the target's name upper-cased, `-` as `_`. */
const sideEnv = (env: NodeJS.ProcessEnv, side: Side, what: string): string | undefined => env[`CUTOVER_${side.toUpperCase().replace(/-/g, '_')}_${what}`];

/** One side's queues: its broker's driver, with its own queue prefix (and claim-check bucket, or Redis) when it names one. */
async function sideDriver(env: NodeJS.ProcessEnv, side: Side, config: SpillwayConfig): Promise<QueueDriver> {
  const t = spillway.targets[side];
  const own = t.kind === 'eks' && t.queuePrefix !== undefined;
  const queuePrefix = sideEnv(env, side, 'QUEUE_PREFIX') ?? (own ? t.queuePrefix! : config.queuePrefix);
  const bucket = own && t.kind === 'eks' ? { payloadBucket: payloadBucket(queuePrefix, t.accountId) } : {};
  // Two sides on BullMQ (the box and an EKS target on ElastiCache) are two Redis servers: each may name its own.
  const redisUrl = sideEnv(env, side, 'REDIS_URL') ?? config.redisUrl;
  return createQueueDriver({ ...config, queueDriver: t.broker.kind, queuePrefix, redisUrl, ...bucket });
}

async function readiness(url: string | undefined): Promise<number | string> {
  if (!url) return 'no URL given';
  try {
    return (await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(3000) })).status;
  } catch (err) {
    return (err as Error).message;
  }
}

async function preflight({ o, env, log }: Run, drivers: Record<Side, QueueDriver>, config: SpillwayConfig, dns: Route53Client, edge: DnsEdge | undefined): Promise<void> {
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
  const db = (side: Side) => sideEnv(env, side, 'DATABASE_URL') ?? config.databaseUrl;
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
function route53(env: NodeJS.ProcessEnv): Route53Client {
  const endpoint = env.ROUTE53_ENDPOINT;
  if (!endpoint) return new Route53Client({ region: 'us-east-1' });
  const credentials = env.AWS_ACCESS_KEY_ID ? undefined : { accessKeyId: 'local', secretAccessKey: 'local' };
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

async function drainOldSide({ o, log }: Run, drivers: Record<Side, QueueDriver>, rules: DrainRules): Promise<void> {
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

/**
 * An operator's command (--apply, --scale-down) through the shell, its output on ours; a non-zero
 * exit stops the run. Not execSync: in-process, the command may call back into this process (a
 * test's readiness stand-in), which a blocked event loop would never answer.
 */
function shell(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, { cwd, env, shell: true, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`Command failed: ${command} (${signal ?? `exit ${code}`})`))));
  });
}

/**
 * `npm run cutover` with these arguments and environment: its exit status (0 done, a dry run or
 * --help; 1 refused or stopped; 2 flags it cannot read), its lines written to `io`.
 */
export async function runCutover(argv: string[], env: NodeJS.ProcessEnv, io: CutoverIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(`${CUTOVER_HELP}\n`);
    return 0;
  }
  let o: CutoverOptions;
  try {
    o = parseCutoverArgs(argv, env, NAMES);
  } catch (err) {
    io.err(`cutover: ${(err as Error).message}\n\n${CUTOVER_HELP}\n`);
    return 2;
  }
  const log: Log = (line) => io.out(`${new Date().toISOString()} cutover: ${line}\n`);
  try {
    await cutover({ o, env, log });
    return 0;
  } catch (err) {
    io.err(`cutover: ${(err as Error).message}\n`);
    return 1;
  }
}

async function cutover(run: Run): Promise<void> {
  const { o, env, log } = run;
  const root = o.root ?? ROOT;
  const current = JSON.parse(readFileSync(join(root, 'deploy/traffic.json'), 'utf8')) as TrafficWeights;
  const config = loadConfig(env);
  const drivers: Record<Side, QueueDriver> = { [o.from]: await sideDriver(env, o.from, config), [o.to]: await sideDriver(env, o.to, config) };
  const dns = route53(env);
  try {
    await Promise.all(Object.values(drivers).map((d) => d.waitUntilConnected(5000)));
    const edge = o.apply && !o.endSimple ? undefined : dnsEdge(o);
    await preflight(run, drivers, config, dns, edge);
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
        await shell(o.apply, root, { ...env, ...weights });
      } else {
        await publishWeights(dns, edge!, step, log, o.boxAddress);
      }
      log(`applied ${formatWeights(step)}; holding ${o.holdS} s`);
      await hold(o, step);
    }
    await drainOldSide(run, drivers, rules);
    if (o.scaleDown) {
      await shell(o.scaleDown, root, env);
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

