// The EKS target at full scale: every replica at its autoscaling maximum must still get a database
// connection and a place on a node. Part of validation, so `npm run synth` refuses a definition
// whose numbers do not add up and says which numbers.
import { loadConfig } from '@spillway/config/config';
import { EksDefinition, MIGRATE_STEP, ServiceSpec, SpillwayDefinition } from './definition';
import { CLUSTER_ADDON_PODS, DB_CONNECTION_RESERVE, NODE_DAEMONSETS, nodeAllocatable, rdsMaxConnections } from './capacity-tables';
import { plainEnv } from './env';
import { lambdaLanes, podLanes, runsPods } from './lambda-lanes';
import { targetDefinition, targetsOfKind } from './targets';

const n = (x: number) => x.toLocaleString('en-US');

/**
 * Replicas of a service at full scale on EKS. The public service runs in a blue and a green slot,
 * each with its own autoscaler: during a release the live slot may sit at max while the other holds
 * its floor.
 */
export function fullScaleReplicas(svc: ServiceSpec): number {
  return svc.autoscaling.max + (svc.public ? svc.autoscaling.min : 0);
}

/** Services whose pods open Postgres connections: whoever holds DATABASE_URL (the absorber's Idempotency-Key store on SQS, workers). */
const connects = (svc: ServiceSpec) => svc.secrets.includes('DATABASE_URL');

interface Share {
  label: string;
  connections: number;
}

/** Each workload's connections at full scale; Lambda's are what the proxy opens to the database for it. */
export function connectionShares(def: EksDefinition, maxConnections: number): Share[] {
  const shares: Share[] = def.services
    .filter((svc) => connects(svc) && runsPods(svc, def.target))
    .map((svc) => {
      const replicas = fullScaleReplicas(svc);
      const pool = svc.dbPoolMax ?? 0;
      return { label: `${svc.name} ${replicas} x ${pool}`, connections: replicas * pool };
    });
  shares.push({ label: `migrate Job 1 x ${MIGRATE_STEP.dbPoolMax}`, connections: MIGRATE_STEP.dbPoolMax });
  const lanes = lambdaLanes(def);
  if (lanes.length) {
    const clients = lanes.reduce((sum, { svc }) => sum + svc.lambda!.maxConcurrency * svc.lambda!.dbPoolMax, 0);
    // RDS Proxy opens at most maxConnectionsPercent of max_connections, however many clients it serves.
    const cap = Math.floor((maxConnections * (def.target.aws.database.proxy?.maxConnectionsPercent ?? 100)) / 100);
    const parts = lanes.map(({ svc, lane }) => `${lane} ${svc.lambda!.maxConcurrency} x ${svc.lambda!.dbPoolMax}`).join(' + ');
    shares.push({ label: `Lambda ${parts} = ${clients} through the proxy (it opens at most ${cap})`, connections: Math.min(clients, cap) });
  }
  return shares;
}

function connectionProblems(def: EksDefinition): string[] {
  const db = def.target.aws.database;
  const max = rdsMaxConnections(db.instanceClass);
  if (max === undefined) return [`targets.${def.target.name}.aws.database.instanceClass: no memory known for "${db.instanceClass}"; add it to RDS_CLASS_MEMORY_GIB in deploy/model/capacity-tables.ts`];
  const budget = Math.floor(max * (1 - DB_CONNECTION_RESERVE));
  const shares = connectionShares(def, max);
  const total = shares.reduce((sum, s) => sum + s.connections, 0);
  if (total <= budget) return [];
  return [
    `capacity: database connections at full scale come to ${n(total)} (${shares.map((s) => s.label).join(', ')}), over ${n(budget)}: ` +
      `${db.instanceClass}'s max_connections ${n(max)} less ${DB_CONNECTION_RESERVE * 100}% in reserve; lower autoscaling.max or dbPoolMax, or choose a larger targets.${def.target.name}.aws.database.instanceClass`,
  ];
}

/** A worker's pool must hold a connection per delivery in flight on its pod lanes, plus one for the failure check. */
function poolProblems(def: SpillwayDefinition): string[] {
  const p: string[] = [];
  def.services.forEach((svc, i) => {
    if (svc.role !== 'worker' || !connects(svc)) return;
    for (const [name, t] of Object.entries(def.targets)) {
      const target = { ...t, name };
      const lanes = podLanes(svc, target);
      if (!lanes.length) continue;
      const concurrency = loadConfig(plainEnv(def, svc, target)).workerConcurrency;
      const inFlight = lanes.reduce((sum, lane) => sum + concurrency[lane], 0);
      if ((svc.dbPoolMax ?? 0) < inFlight + 1) {
        p.push(`services[${i}].dbPoolMax: ${svc.dbPoolMax} is below the ${inFlight + 1} its pods need on ${name} (${lanes.map((l) => `${l} ${concurrency[l]}`).join(' + ')} deliveries in flight, + 1 for the failure check)`);
      }
    }
  });
  return p;
}

interface Demand {
  cpuMillis: number;
  memoryMiB: number;
  pods: number;
}

/** One line of the node group's demand: `count` pods (or nodes, for DaemonSets) of `each`. */
interface DemandLine {
  label: string;
  count: number;
  each: Demand;
}

/** Requests at full scale on the node group: the services, the migrate Job, the add-ons, the DaemonSets. */
export function nodeDemand(def: EksDefinition, nodes: number): DemandLine[] {
  const lines: DemandLine[] = def.services
    .filter((svc) => runsPods(svc, def.target))
    .map((svc) => ({ label: svc.name, count: fullScaleReplicas(svc), each: { ...svc.resources.requests, pods: 1 } }));
  lines.push({ label: 'migrate Job', count: 1, each: { ...MIGRATE_STEP.resources.requests, pods: 1 } });
  const addons = CLUSTER_ADDON_PODS.reduce(
    (s, a) => ({ cpuMillis: s.cpuMillis + a.replicas * a.cpuMillis, memoryMiB: s.memoryMiB + a.replicas * a.memoryMiB, pods: s.pods + a.replicas }),
    { cpuMillis: 0, memoryMiB: 0, pods: 0 },
  );
  lines.push({ label: 'cluster add-ons', count: 1, each: addons });
  const perNode = NODE_DAEMONSETS.reduce((s, d) => ({ ...s, cpuMillis: s.cpuMillis + d.cpuMillis, memoryMiB: s.memoryMiB + d.memoryMiB }), { cpuMillis: 0, memoryMiB: 0, pods: NODE_DAEMONSETS.length });
  lines.push({ label: 'DaemonSets on', count: nodes, each: perNode });
  return lines;
}

const UNITS = { cpuMillis: 'm', memoryMiB: ' MiB', pods: '' } as const;
const WHAT = { cpuMillis: 'CPU requests', memoryMiB: 'memory requests', pods: 'pods' } as const;

function nodeProblems(def: EksDefinition): string[] {
  const c = def.target.aws.cluster;
  // Auto Mode sizes and adds nodes itself: there is no maximum here to check against.
  if (c.compute !== 'managed-nodes') return [];
  const ng = c.nodeGroup;
  const node = nodeAllocatable(ng.instanceType);
  if (!node) return [`targets.${def.target.name}.aws.cluster.nodeGroup.instanceType: no allocatable known for "${ng.instanceType}"; add it to NODE_TYPES in deploy/model/capacity-tables.ts`];
  const lines = nodeDemand(def, ng.max);
  const p: string[] = [];
  for (const key of ['cpuMillis', 'memoryMiB', 'pods'] as const) {
    const u = UNITS[key];
    const total = lines.reduce((sum, l) => sum + l.count * l.each[key], 0);
    const each = key === 'pods' ? node.pods : node[key];
    if (total <= ng.max * each) continue;
    const parts = lines.map((l) => (l.count === 1 ? `${l.label} ${n(l.each[key])}${u}` : `${l.label} ${l.count} x ${n(l.each[key])}${u} = ${n(l.count * l.each[key])}${u}`));
    p.push(
      `capacity: ${WHAT[key]} at full scale come to ${n(total)}${u} (${parts.join(', ')}), over ${ng.max} x ${ng.instanceType} allocatable ${n(each)}${u} = ${n(ng.max * each)}${u}; ` +
        `lower autoscaling.max or requests, or raise targets.${def.target.name}.aws.cluster.nodeGroup.max or its instanceType`,
    );
  }
  return p;
}

/** Everything that does not add up at full scale, each naming its numbers. */
export function capacityProblems(def: SpillwayDefinition): string[] {
  const eks = targetsOfKind(def, 'eks').map((t) => targetDefinition(def, t.name, 'eks'));
  return [...poolProblems(def), ...eks.flatMap((d) => [...connectionProblems(d), ...nodeProblems(d)])];
}
