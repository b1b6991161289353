// The EKS target at a given rate: pods from the measured per-process throughput and the
// definition's requests and scaling ranges, nodes from what those pods request, then every line of
// the AWS bill the stacks in deploy/aws/ create, priced from the dated table.
import { Lane, LANES } from '@spillway/config/lanes';
import { ServiceSpec, EksDefinition } from '../model/definition';
import { lambdaLanes as definitionLambdaLanes } from '../model/lambda-lanes';
import { FIFO_LANES } from '../model/queues';
import { CACHE_NODES } from '../model/redis';
import { ASSUMPTIONS, SECONDS_PER_MONTH } from './assumptions';
import { fixedSqsCallsPerMinute, sqsCallRows } from './sqs-calls';
import { CostItem, targetUtilization } from './hetzner-plan';
import { LambdaCost, lambdaLaneCost } from './lambda';
import { Measured } from './measured';
import { AWS_PRICES, AwsRegionPrices, HOURS_PER_MONTH } from './prices';
import { EndpointVerdict, endpointVerdicts, natGatewayCount, trafficItems, Volumes, volumes } from './aws-traffic';

export { alarmCount, publicIpv4Count } from './aws-traffic';

export interface EksOptions {
  /** Price the account in this region instead of targets.eks.region. */
  region?: string;
  /** Lanes whose workers run as Lambda functions instead of pods; absent: the definition's (ServiceSpec.lambda). */
  lambdaLanes?: Lane[];
  /** Leave out the flat estimates (logs, KMS...) and the read replicas: the seed's own line items. */
  seedItemsOnly?: boolean;
}

export interface ServicePods {
  service: string;
  pods: number;
  /** The rate wants more than autoscaling.max: the definition caps it there. */
  capped: boolean;
}

export interface EksPlan {
  rps: number;
  region: string;
  pods: ServicePods[];
  nodes: number;
  /** What the definition's ranges cannot hold at this rate (empty: it fits). */
  saturated: string[];
  lambda: Partial<Record<Lane, LambdaCost>>;
  items: CostItem[];
  /** GB and observations a month at this rate (deploy/cost/aws-traffic.ts). */
  volumes: Volumes;
  monthlyUsd: number;
}

export function regionPrices(region: string): AwsRegionPrices {
  const p = AWS_PRICES[region];
  if (!p) throw new Error(`cost: no AWS prices for region "${region}" in deploy/cost/prices.ts (have: ${Object.keys(AWS_PRICES).join(', ')})`);
  return p;
}

/** Share of all events (0-1) on the given lanes, by the definition's load plan (even if none). */
export function laneShare(def: EksDefinition, lanes: readonly Lane[]): number {
  const mix = def.load?.laneMix ?? (Object.fromEntries(LANES.map((l) => [l, 100 / LANES.length])) as Record<Lane, number>);
  return lanes.reduce((s, l) => s + mix[l] / 100, 0);
}

function eksDriver(def: EksDefinition): string {
  return def.target.broker.kind;
}

function podsFor(svc: ServiceSpec, wanted: number): ServicePods {
  const { min, max } = svc.autoscaling;
  const pods = Math.max(min, Math.ceil(wanted - 1e-9));
  return { service: svc.name, pods: Math.min(pods, max), capped: pods > max };
}

export function eksPlan(def: EksDefinition, m: Measured, rps: number, opts: EksOptions = {}): EksPlan {
  const region = opts.region ?? def.target.region;
  const prices = regionPrices(region);
  const sqs = eksDriver(def) === 'sqs';
  // The seed's table has no Lambda line; otherwise the definition's lanes unless told otherwise.
  const lambdaLanes = opts.seedItemsOnly ? [] : (opts.lambdaLanes ?? definitionLambdaLanes(def).map((l) => l.lane));
  const u = targetUtilization(def);
  const absorberMs = (sqs ? m.absorberCpuMsPerRequest.sqs : undefined) ?? m.absorberCpuMsPerRequest.bullmq;
  const pods = def.services.map((svc) => {
    if (svc.role === 'absorber') return podsFor(svc, (rps * absorberMs) / (svc.resources.requests.cpuMillis * u));
    const lanes = (svc.lanes ?? []).filter((l) => !lambdaLanes.includes(l));
    if (!lanes.length) return { service: svc.name, pods: 0, capped: false };
    // The bench's drain rate had the whole machine; a pod gets its CPU limit's share of it.
    const perPod = (m.workerDrainEventsPerSecond * svc.resources.limits.cpuMillis) / (m.machineCpus * 1000);
    return podsFor(svc, (rps * laneShare(def, lanes)) / perPod);
  });
  const saturated = pods.filter((p) => p.capped).map((p) => `${p.service} wants more than autoscaling.max pods`);

  const ng = def.target.aws.cluster.nodeGroup;
  const node = prices.instances[ng.instanceType];
  if (!node) throw new Error(`cost: no price for instance type "${ng.instanceType}" in ${region}`);
  const { nodeSystem: sys, clusterAddons: addons } = ASSUMPTIONS;
  const sum = (f: (svc: ServiceSpec, n: number) => number) =>
    def.services.reduce((s, svc) => s + f(svc, pods.find((p) => p.service === svc.name)!.pods), 0);
  const cpu = addons.cpuMillis + sum((svc, n) => n * svc.resources.requests.cpuMillis);
  const mem = addons.memoryMiB + sum((svc, n) => n * svc.resources.requests.memoryMiB);
  const count = addons.pods + sum((_, n) => n);
  const wantedNodes = Math.max(
    ng.min,
    Math.ceil(cpu / (node.allocatable.cpuMillis - sys.cpuMillis)),
    Math.ceil(mem / (node.allocatable.memoryMiB - sys.memoryMiB)),
    Math.ceil(count / (node.maxPods - sys.pods)),
  );
  if (wantedNodes > ng.max) saturated.push(`${wantedNodes} nodes wanted, nodeGroup.max is ${ng.max}`);
  const nodes = Math.min(wantedNodes, ng.max);

  const h = HOURS_PER_MONTH;
  const eventsPerMonth = rps * SECONDS_PER_MONTH;
  const natCount = natGatewayCount(def);
  const albGbPerHour = (rps * ASSUMPTIONS.albBytesPerRequest * 3600) / 1e9;
  const db = def.target.aws.database;
  const dbHourly = prices.rdsHourly[db.instanceClass];
  if (dbHourly === undefined) throw new Error(`cost: no RDS price for "${db.instanceClass}" in ${region}`);
  const replicas = opts.seedItemsOnly ? 0 : db.readReplicas;
  const items: CostItem[] = [
    { item: 'EKS control plane', monthly: prices.eksClusterHourly * h },
    { item: `${nodes} x ${ng.instanceType} nodes`, monthly: nodes * node.hourlyUsd * h },
    { item: `node disks, ${nodes} x ${ng.diskGiB} GB gp3`, monthly: nodes * ng.diskGiB * prices.ebsGp3GbMonth },
    { item: `NAT gateway x ${natCount}`, monthly: natCount * prices.natGatewayHourly * h },
    { item: `ALB, ${Math.max(1, albGbPerHour).toFixed(1)} LCU (processed bytes)`, monthly: (prices.albHourly + Math.max(1, albGbPerHour) * prices.albLcuHourly) * h },
    { item: `RDS ${db.instanceClass}${db.multiAz ? ' Multi-AZ' : ''}`, monthly: dbHourly * (db.multiAz ? 2 : 1) * h },
    { item: `RDS storage ${db.storageGiB} GB gp3${db.multiAz ? ' Multi-AZ' : ''}`, monthly: db.storageGiB * prices.rdsGp3GbMonth * (db.multiAz ? 2 : 1) },
  ];
  if (replicas) {
    items.push({ item: `${replicas} read replica(s)`, monthly: replicas * (dbHourly * h + db.storageGiB * prices.rdsGp3GbMonth) });
  }
  const traffic = volumes(rps, sqs, pods.reduce((s, p) => s + p.pods, 0), nodes);
  if (!opts.seedItemsOnly) items.push(...trafficItems(def, prices, traffic));
  if (sqs) {
    const calls = (eventsPerMonth * (m.sqsCallsPerEvent ?? 0.25)) / 1e6;
    const fifo = laneShare(def, FIFO_LANES);
    const perMillion = fifo * prices.sqsFifoPerMillion + (1 - fifo) * prices.sqsStandardPerMillion;
    items.push({ item: `SQS, ${calls.toFixed(1)} M requests`, monthly: calls * perMillion });
    // The requests no event pays for (probes, scrapes, the shedder, idle long polls); busy at its bound when rps > 0.
    const count = (role: string) => def.services.filter((s) => s.role === role).reduce((n, s) => n + pods.find((p) => p.service === s.name)!.pods, 0);
    const fixed = (fixedSqsCallsPerMinute(sqsCallRows(def), { absorber: count('absorber'), worker: count('worker') }, rps > 0) * 60 * h) / 1e6;
    if (!opts.seedItemsOnly) items.push({ item: `SQS, ${fixed.toFixed(1)} M requests at rest (probes, scrapes, shedder, idle polls)`, monthly: fixed * prices.sqsStandardPerMillion });
  }
  const broker = def.target.broker;
  if (broker.kind === 'bullmq') {
    // The cache stack's replication group: a primary and a replica (Multi-AZ), billed per node hour
    // whatever the rate; BullMQ's commands cost nothing more. The node holds the backlog in memory.
    const nodeType = broker.redis.elasticache.nodeType;
    const hourly = prices.elasticacheHourly[nodeType];
    if (hourly === undefined) throw new Error(`cost: no ElastiCache price for "${nodeType}" in ${region} (deploy/cost/prices.ts)`);
    items.push({ item: `ElastiCache Redis ${CACHE_NODES} x ${nodeType} (Multi-AZ)`, monthly: CACHE_NODES * hourly * h });
  }
  const lambda: EksPlan['lambda'] = {};
  const msPerEvent = (m.machineCpus * 1000) / m.workerDrainEventsPerSecond;
  for (const lane of lambdaLanes) {
    // The definition's function for the lane; a lane only `--lambda` adds gets the assumed one.
    const spec = definitionLambdaLanes(def).find((l) => l.lane === lane)?.svc.lambda;
    const fn = spec
      ? { memoryMiB: spec.memoryMiB, batchSize: spec.batchSize, batchingWindowSeconds: spec.batchingWindowSeconds, architecture: spec.architecture }
      : { memoryMiB: ASSUMPTIONS.lambda.memoryMiB, batchSize: ASSUMPTIONS.lambda.batchSize };
    lambda[lane] = lambdaLaneCost(prices, { eventsPerSecond: rps * laneShare(def, [lane]), msPerEvent, invocationOverheadMs: ASSUMPTIONS.lambda.invocationOverheadMs, ...fn });
    const shape = `${fn.memoryMiB} MiB${'architecture' in fn ? ` ${fn.architecture}` : ''}, ${Math.round(lambda[lane]!.invocationsPerMonth / 1e6)} M invocations`;
    items.push({ item: `Lambda, lane ${lane} (${shape})`, monthly: lambda[lane]!.monthlyUsd });
  }
  if (lambdaLanes.length) {
    const vcpus = prices.rdsVcpus[db.instanceClass];
    if (vcpus === undefined) throw new Error(`cost: no vCPU count for "${db.instanceClass}" in deploy/cost/prices.ts (RDS Proxy bills by it)`);
    items.push({ item: `RDS Proxy for the Lambda lanes, ${vcpus} vCPU`, monthly: vcpus * prices.rdsProxyPerVcpuHour * h });
  }
  if (!opts.seedItemsOnly) for (const [item, monthly] of Object.entries(prices.flatMonthly)) items.push({ item, monthly });
  return { rps, region, pods, nodes, saturated, lambda, items, volumes: traffic, monthlyUsd: items.reduce((s, i) => s + i.monthly, 0) };
}

/** Each interface endpoint at this rate: what it would cost against the NAT fee it saves. */
export function endpointEconomics(def: EksDefinition, m: Measured, rps: number, opts: EksOptions = {}): EndpointVerdict[] {
  const plan = eksPlan(def, m, rps, opts);
  return endpointVerdicts(def, regionPrices(plan.region), plan.volumes);
}

