// The lines of the AWS bill that follow addresses, gigabytes and alarms rather than instances:
// public IPv4, the NAT gateway's per-GB fee (or an interface endpoint's), CloudWatch logs, metrics
// and alarms. Counts come from the definition the stacks are built from; volumes from ASSUMPTIONS.
import { InterfaceEndpoint, EksDefinition } from '../model/definition';
import { CACHE_NODES } from '../model/redis';
import { lambdaLanes } from '../model/lambda-lanes';
import { allLanes } from '../model/queues';
import { ASSUMPTIONS, SECONDS_PER_MONTH } from './assumptions';
import { AwsRegionPrices, HOURS_PER_MONTH } from './prices';

export const INTERFACE_ENDPOINTS: InterfaceEndpoint[] = ['sqs', 'logs', 'ecr', 'secretsmanager', 'sts'];

const gb = (v: number) => (v < 10 ? v.toFixed(1) : String(Math.round(v)));

/** Endpoints per AZ a service needs ('ecr': the API and the Docker registry). */
export const endpointsPerAz = (e: InterfaceEndpoint) => (e === 'ecr' ? 2 : 1);

export const natGatewayCount = (def: EksDefinition) => (def.target.aws.network.natGateways === 'one' ? 1 : def.target.aws.availabilityZones.length);

/** Public IPv4 addresses the account holds: one per NAT gateway, and the internet-facing ALB's one per AZ. */
export function publicIpv4Count(def: EksDefinition): number {
  const alb = def.services.some((s) => s.public) ? def.target.aws.availabilityZones.length : 0;
  return natGatewayCount(def) + alb;
}

/** The alarms deploy/aws/alarms.ts creates (cost.spec.ts counts them in its template). */
export function alarmCount(def: EksDefinition): number {
  // SQS: each lane's oldest event age and dead letters; BullMQ: each cache node's memory.
  const lanes = def.target.broker.kind === 'sqs' ? allLanes().length * 2 : CACHE_NODES;
  const lambda = lambdaLanes(def).length * 2; // errors, throttles
  const ingress = 2 + 1; // 5xx share, p99, absorber at its maximum
  const database = 3 + def.target.aws.database.readReplicas; // CPU, free storage, connections, each replica's lag
  return lanes + lambda + ingress + database;
}

export interface Volumes {
  /** GB a month each interface-endpoint service would carry (through the NAT gateway without it). */
  apiGb: Record<InterfaceEndpoint, number>;
  /** Image layers and claim-check objects: through the S3 gateway endpoint, free. */
  s3Gb: number;
  /** Container Insights observations a month. */
  observations: number;
}

/** rps on the SQS driver, `pods` of every workload and add-on on `nodes` nodes. */
export function volumes(rps: number, sqs: boolean, pods: number, nodes: number): Volumes {
  const a = ASSUMPTIONS;
  const allPods = pods + a.clusterAddons.pods + a.nodeSystem.pods * nodes;
  const sqsGb = sqs ? (rps * SECONDS_PER_MONTH * a.sqsBytesPerEventEachWay * 2) / 1e9 : 0;
  const logsGb = a.logs.controlPlaneGb + a.logs.flowLogsGb + a.logs.perPodGb * allPods;
  const series = nodes * a.containerInsights.seriesPerNode + allPods * a.containerInsights.seriesPerPod;
  return {
    apiGb: { sqs: sqsGb, logs: logsGb, ...a.otherApiGb },
    s3Gb: nodes * a.imagePulls.perNodePerMonth * a.imagePulls.gb,
    observations: series * HOURS_PER_MONTH * 60,
  };
}

export interface EndpointVerdict {
  endpoint: InterfaceEndpoint;
  gbPerMonth: number;
  /** The endpoints (every AZ) and their per-GB fee. */
  costUsd: number;
  /** The NAT gateway's per-GB fee it avoids. */
  savingUsd: number;
  pays: boolean;
}

export function endpointVerdicts(def: EksDefinition, prices: AwsRegionPrices, v: Volumes): EndpointVerdict[] {
  const azs = def.target.aws.availabilityZones.length;
  return INTERFACE_ENDPOINTS.map((endpoint) => {
    const gbPerMonth = v.apiGb[endpoint];
    const costUsd = endpointsPerAz(endpoint) * azs * prices.interfaceEndpointHourly * HOURS_PER_MONTH + gbPerMonth * prices.interfaceEndpointPerGb;
    const savingUsd = gbPerMonth * prices.natGatewayPerGb;
    return { endpoint, gbPerMonth, costUsd, savingUsd, pays: savingUsd > costUsd };
  });
}

const NAMES: Record<InterfaceEndpoint, string> = { sqs: 'SQS', logs: 'CloudWatch', ecr: 'ECR', secretsmanager: 'Secrets Manager', sts: 'STS' };

/** The lines these volumes add: endpoints, NAT data, S3 gateway, public IPv4, CloudWatch. */
export function trafficItems(def: EksDefinition, prices: AwsRegionPrices, v: Volumes): Array<{ item: string; monthly: number }> {
  const h = HOURS_PER_MONTH;
  const azs = def.target.aws.availabilityZones.length;
  const on = def.target.aws.network.vpcEndpoints;
  const items = on.map((e) => ({
    item: `interface endpoint ${e} x ${endpointsPerAz(e) * azs}, ${gb(v.apiGb[e])} GB`,
    monthly: endpointsPerAz(e) * azs * prices.interfaceEndpointHourly * h + v.apiGb[e] * prices.interfaceEndpointPerGb,
  }));
  const viaNat = INTERFACE_ENDPOINTS.filter((e) => !on.includes(e) && v.apiGb[e] > 0);
  const natGb = viaNat.reduce((s, e) => s + v.apiGb[e], 0);
  if (natGb > 0) items.push({ item: `NAT data: ${viaNat.map((e) => `${NAMES[e]} ${gb(v.apiGb[e])} GB`).join(', ')}`, monthly: natGb * prices.natGatewayPerGb });
  items.push({ item: `S3 gateway endpoint: image layers, claim-check objects, ${Math.round(v.s3Gb)} GB`, monthly: 0 });
  const ips = publicIpv4Count(def);
  items.push({ item: `public IPv4, ${ips} addresses`, monthly: ips * prices.publicIpv4Hourly * h });
  items.push({ item: `CloudWatch logs, ${Math.round(v.apiGb.logs)} GB ingested`, monthly: v.apiGb.logs * prices.logsIngestPerGb });
  items.push({ item: `CloudWatch metrics (Container Insights), ${Math.round(v.observations / 1e6)} M observations`, monthly: (v.observations / 1e6) * prices.containerInsightsPerMillionObservations });
  const alarms = alarmCount(def);
  items.push({ item: `CloudWatch alarms (${alarms}) and dashboard`, monthly: alarms * prices.alarmMonthly + prices.dashboardMonthly });
  return items;
}
