// The public name's Route 53 records during `npm run cutover`, driven through the Route 53 API
// rather than CloudFormation: a stack cannot create weighted records beside the box's live simple
// record (Route 53 refuses a name/type holding both), and deleting the simple record first would
// leave the name unanswered. Each change below is one ChangeResourceRecordSets batch, which
// Route 53 applies whole or not at all.
import {
  Change,
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { TrafficWeights } from './model/definition';
import { formatWeights } from './cutover-plan';

/** A target's name: each weighted record's set identifier. */
export type Side = string;

export interface DnsEdge {
  zoneId: string;
  /** The public name, e.g. ingest.example.com. */
  name: string;
  /** The compose target's name (its record: A to the box's address); default hetzner. */
  box?: Side;
  /** The EKS target's name (its record: an alias to the ALB); default eks. */
  alb?: Side;
  /** The ALB the AWS Load Balancer Controller made for the Ingress (dns.records of the EKS target). */
  albDnsName: string;
  /** The ALB's canonical hosted zone (per region; ALB_ZONE_IDS or --alb-zone-id). */
  albZoneId: string;
}

/** Canonical hosted zone ids of Application Load Balancers, per region (AWS's ELB endpoints table). */
export const ALB_ZONE_IDS: Record<string, string> = {
  'eu-central-1': 'Z215JYRZR1TBD5',
  'eu-west-1': 'Z32O12XQLNTSW2',
  'us-east-1': 'Z35SXDOTRQ7X7K',
  'us-east-2': 'Z3AADJGX6KTTL2',
  'us-west-2': 'Z1H1FL5HABSF5',
};

/** The box's Route 53 health check: HTTPS readiness on its own address, as the ingest name. */
export const BOX_HEALTH = { port: 443, path: '/health/ready', intervalS: 30, failureThreshold: 3 };

const fqdn = (name: string) => (name.endsWith('.') ? name : `${name}.`).toLowerCase();

/** What the name holds now: the box's or the ALB's simple record, or the weighted pair. */
export type DnsState =
  | { kind: 'simple'; side: Side; record: ResourceRecordSet }
  | { kind: 'weighted'; box: ResourceRecordSet; alb: ResourceRecordSet };

const names = (edge: DnsEdge) => ({ box: edge.box ?? 'hetzner', alb: edge.alb ?? 'eks' });

export async function listRecords(client: Route53Client, edge: DnsEdge): Promise<ResourceRecordSet[]> {
  const res = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: edge.zoneId, StartRecordName: fqdn(edge.name), MaxItems: 20 }));
  return (res.ResourceRecordSets ?? []).filter((r) => fqdn(r.Name ?? '') === fqdn(edge.name));
}

export function readState(records: ResourceRecordSet[], edge: DnsEdge): DnsState {
  const other = records.filter((r) => r.Type !== 'A');
  if (other.length) {
    throw new Error(`${edge.name} holds a ${other[0].Type} record: the cutover adopts an A record (the box's address) into an A pair with an alias to the ALB; make it an A record first`);
  }
  const simple = records.filter((r) => r.SetIdentifier === undefined);
  const n = names(edge);
  if (simple.length === 1) return { kind: 'simple', side: simple[0].AliasTarget ? n.alb : n.box, record: simple[0] };
  const box = records.find((r) => r.SetIdentifier === n.box);
  const alb = records.find((r) => r.SetIdentifier === n.alb);
  if (box && alb && records.length === 2) return { kind: 'weighted', box, alb };
  if (!records.length) throw new Error(`${edge.name} has no A record in zone ${edge.zoneId}: nothing to adopt (create the box's record first)`);
  throw new Error(`${edge.name} holds A records the cutover did not make (set identifiers ${records.map((r) => r.SetIdentifier ?? '(none)').join(', ')}); expected one simple record or the pair ${n.box}/${n.alb}`);
}

export const weightsOf = (s: Extract<DnsState, { kind: 'weighted' }>, edge: DnsEdge): TrafficWeights => ({ [names(edge).box]: s.box.Weight ?? 0, [names(edge).alb]: s.alb.Weight ?? 0 });

function boxRecord(edge: DnsEdge, values: string[], ttl: number, weight: number | undefined, healthCheckId?: string): ResourceRecordSet {
  return {
    Name: fqdn(edge.name),
    Type: 'A',
    ...(weight === undefined ? {} : { SetIdentifier: names(edge).box, Weight: weight, HealthCheckId: healthCheckId }),
    TTL: ttl,
    ResourceRecords: values.map((Value) => ({ Value })),
  };
}

/** Alias to the ALB; EvaluateTargetHealth: the alias answers only while the ALB has healthy targets. */
function albRecord(edge: DnsEdge, weight: number | undefined): ResourceRecordSet {
  return {
    Name: fqdn(edge.name),
    Type: 'A',
    ...(weight === undefined ? {} : { SetIdentifier: names(edge).alb, Weight: weight }),
    AliasTarget: { HostedZoneId: edge.albZoneId, DNSName: fqdn(edge.albDnsName), EvaluateTargetHealth: true },
  };
}

const boxValues = (r: ResourceRecordSet) => (r.ResourceRecords ?? []).map((v) => v.Value ?? '');

/**
 * Simple record -> weighted pair in one batch: the DELETE carries the record exactly as listed
 * (Route 53 deletes only an exact match) and the pair keeps today's answer (100 to the side the
 * simple record named, 0 to the other), so resolvers see no change of answer and no gap.
 */
export function adoptionChanges(s: Extract<DnsState, { kind: 'simple' }>, edge: DnsEdge, box: { values: string[]; ttl: number; healthCheckId: string }): Change[] {
  const onBox = s.side === names(edge).box;
  return [
    { Action: 'DELETE', ResourceRecordSet: s.record },
    { Action: 'CREATE', ResourceRecordSet: boxRecord(edge, box.values, box.ttl, onBox ? 100 : 0, box.healthCheckId) },
    { Action: 'CREATE', ResourceRecordSet: albRecord(edge, onBox ? 0 : 100) },
  ];
}

/** New weights on the pair as it stands: UPSERTs of the listed records with the weight changed. */
export function weightChanges(s: Extract<DnsState, { kind: 'weighted' }>, edge: DnsEdge, w: TrafficWeights): Change[] {
  const n = names(edge);
  return (['box', 'alb'] as const).map((side) => ({ Action: 'UPSERT', ResourceRecordSet: { ...s[side], Weight: w[n[side]] } }));
}

/** Weighted pair -> one simple record for `side`, in one batch (DELETE both as listed, CREATE one). */
export function simpleChanges(s: Extract<DnsState, { kind: 'weighted' }>, edge: DnsEdge, side: Side): Change[] {
  const record = side === names(edge).box ? boxRecord(edge, boxValues(s.box), s.box.TTL ?? 60, undefined) : albRecord(edge, undefined);
  return [
    { Action: 'DELETE', ResourceRecordSet: s.box },
    { Action: 'DELETE', ResourceRecordSet: s.alb },
    { Action: 'CREATE', ResourceRecordSet: record },
  ];
}

/** Sends one batch and waits (bounded) until Route 53 reports it INSYNC on its name servers. */
export async function applyChanges(client: Route53Client, edge: DnsEdge, changes: Change[], comment: string, timeoutS = 300): Promise<void> {
  const res = await client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: edge.zoneId, ChangeBatch: { Comment: comment, Changes: changes } }));
  const id = res.ChangeInfo?.Id;
  if (!id) throw new Error(`Route 53 accepted "${comment}" without a change id`);
  const deadline = Date.now() + timeoutS * 1000;
  for (let status = res.ChangeInfo?.Status; status !== 'INSYNC'; ) {
    if (Date.now() > deadline) throw new Error(`Route 53 change ${id} ("${comment}") still ${status} after ${timeoutS} s; check it with aws route53 get-change --id ${id}`);
    await new Promise((r) => setTimeout(r, 1000));
    status = (await client.send(new GetChangeCommand({ Id: id }))).ChangeInfo?.Status;
  }
}

/**
 * The box's health check, made once (Route 53 returns the existing one for the same caller
 * reference and settings): HTTPS to the box's own address with the ingest name as host and SNI,
 * the way a client reaches it, so it fails when the box does.
 */
export async function boxHealthCheck(client: Route53Client, edge: DnsEdge, address: string): Promise<string> {
  const res = await client.send(
    new CreateHealthCheckCommand({
      CallerReference: `spillway-box-${address}-${fqdn(edge.name)}`.slice(0, 64),
      HealthCheckConfig: {
        Type: 'HTTPS',
        IPAddress: address,
        Port: BOX_HEALTH.port,
        ResourcePath: BOX_HEALTH.path,
        FullyQualifiedDomainName: edge.name,
        EnableSNI: true,
        RequestInterval: BOX_HEALTH.intervalS,
        FailureThreshold: BOX_HEALTH.failureThreshold,
      },
    }),
  );
  const id = res.HealthCheck?.Id;
  if (!id) throw new Error(`Route 53 made no health check for ${address}`);
  return id;
}

/**
 * Publishes one cutover step: adopts a simple record first (its own batch, no change of answer),
 * then moves the weights. `boxAddress` is needed only when the simple record is the ALB's (a move
 * back to the box after the end state returned to a simple record).
 */
export async function publishWeights(client: Route53Client, edge: DnsEdge, w: TrafficWeights, log: (l: string) => void, boxAddress?: string): Promise<void> {
  let state = readState(await listRecords(client, edge), edge);
  if (state.kind === 'simple') {
    const values = state.side === names(edge).box ? boxValues(state.record) : boxAddress ? [boxAddress] : [];
    if (!values.length) throw new Error(`${edge.name} is a simple alias to the ALB: give --box-address <the box's IPv4> to make the box's weighted record`);
    const healthCheckId = await boxHealthCheck(client, edge, values[0]);
    const ttl = state.record.TTL ?? 60;
    await applyChanges(client, edge, adoptionChanges(state, edge, { values, ttl, healthCheckId }), `spillway cutover: adopt ${edge.name} as a weighted pair`);
    log(`dns: ${edge.name} adopted: simple record -> weighted pair (${state.side} 100), box health check ${healthCheckId}`);
    state = readState(await listRecords(client, edge), edge);
  }
  if (state.kind !== 'weighted') throw new Error(`${edge.name}: adoption did not leave a weighted pair`);
  const now = weightsOf(state, edge);
  const pair = { [names(edge).box]: w[names(edge).box] ?? 0, [names(edge).alb]: w[names(edge).alb] ?? 0 };
  if (Object.entries(pair).every(([n, x]) => now[n] === x)) return log(`dns: ${edge.name} already ${formatWeights(pair)}`);
  await applyChanges(client, edge, weightChanges(state, edge, pair), `spillway cutover: ${formatWeights(pair)}`);
  log(`dns: ${edge.name} now ${formatWeights(pair)}`);
}

/** The end state as one simple record for `side` (which must hold all the weight). */
export async function returnToSimple(client: Route53Client, edge: DnsEdge, side: Side, log: (l: string) => void): Promise<void> {
  const state = readState(await listRecords(client, edge), edge);
  if (state.kind === 'simple') {
    if (state.side !== side) throw new Error(`${edge.name} is a simple record for ${state.side}, not ${side}`);
    return log(`dns: ${edge.name} already a simple record for ${side}`);
  }
  const w = weightsOf(state, edge);
  if (w[side] !== 100) throw new Error(`${edge.name} is ${formatWeights(w)}: a simple record for ${side} needs ${side} at 100 first`);
  await applyChanges(client, edge, simpleChanges(state, edge, side), `spillway cutover: ${edge.name} back to a simple record for ${side}`);
  log(`dns: ${edge.name} is a simple record for ${side} again`);
}
