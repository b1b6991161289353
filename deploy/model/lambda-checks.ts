// Checks of the Lambda lanes (ServiceSpec.lambda) and the RDS Proxy they need: each problem names its
// field and the limit it breaks, AWS's own (batch sizes, windows, concurrency, the queue's visibility
// timeout) or the definition's (the database connections the alarms allow).
import { isFifo } from './queues';
import { EksDefinition, SpillwayDefinition } from './definition';
import { lambdaLanes } from './lambda-lanes';
import { targetDefinition, targetsOfKind } from './targets';

const isInt = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;

export function lambdaProblems(def: SpillwayDefinition): string[] {
  const p: string[] = [];
  def.services.forEach((svc, i) => {
    const l = svc.lambda;
    if (!l) return;
    const f = `services[${i}].lambda`;
    if (svc.role !== 'worker') return void p.push(`${f}: only a worker's lanes run on Lambda`);
    if (!l.lanes?.length) p.push(`${f}.lanes: at least one of the worker's lanes (${(svc.lanes ?? []).join(', ')})`);
    l.lanes?.forEach((lane, j) => {
      if (!svc.lanes?.includes(lane)) p.push(`${f}.lanes[${j}]: "${lane}" is not one of the worker's lanes (${(svc.lanes ?? []).join(', ')})`);
      if (l.lanes.indexOf(lane) !== j) p.push(`${f}.lanes[${j}]: "${lane}" is listed twice`);
    });
    if (!isInt(l.memoryMiB, 128, 10_240)) p.push(`${f}.memoryMiB: 128 to 10240 MiB (Lambda's range)`);
    const lease = def.leaseMs / 1000;
    if (!isInt(l.timeoutSeconds, 1, 900)) p.push(`${f}.timeoutSeconds: 1 to 900 s (Lambda's range)`);
    else if (l.timeoutSeconds > lease) {
      p.push(`${f}.timeoutSeconds: ${l.timeoutSeconds} s is longer than the lanes' visibility timeout (leaseMs = ${lease} s); SQS refuses an event source mapping whose function can outlive it`);
    }
    const fifo = (l.lanes ?? []).filter(isFifo);
    const maxBatch = fifo.length ? 10 : 10_000;
    if (!isInt(l.batchSize, 1, maxBatch)) p.push(`${f}.batchSize: 1 to ${maxBatch}${fifo.length ? ` (a FIFO lane: ${fifo.join(', ')})` : ''}`);
    if (!isInt(l.batchingWindowSeconds, 0, 300)) p.push(`${f}.batchingWindowSeconds: whole seconds, 0 to 300`);
    else if (fifo.length && l.batchingWindowSeconds > 0) p.push(`${f}.batchingWindowSeconds: must be 0 with a FIFO lane (${fifo.join(', ')}); SQS FIFO mappings take no batching window`);
    else if (l.batchSize > 10 && l.batchingWindowSeconds < 1) p.push(`${f}.batchingWindowSeconds: at least 1 s for a batchSize above 10 (an SQS event source mapping rule)`);
    if (!isInt(l.maxConcurrency, 2, 1000)) p.push(`${f}.maxConcurrency: 2 to 1000 (the event source mapping's ScalingConfig)`);
    if (!isInt(l.dbPoolMax, 2, 20)) p.push(`${f}.dbPoolMax: 2 to 20 connections per invocation (a delivery holds one, its failure check takes another)`);
    if (l.architecture !== 'arm64' && l.architecture !== 'x86_64') p.push(`${f}.architecture: arm64 or x86_64`);
  });
  for (const t of targetsOfKind(def, 'eks')) p.push(...targetLambdaProblems(targetDefinition(def, t.name, 'eks')));
  return p;
}

/** What one EKS target's Lambda lanes need of it: SQS to feed them, the RDS Proxy, connections within the alarm. */
function targetLambdaProblems(def: EksDefinition): string[] {
  const p: string[] = [];
  const lanes = lambdaLanes(def);
  if (!lanes.length) return p;
  const f = `targets.${def.target.name}`;
  // Each lane's function may run maxConcurrency invocations, each holding up to dbPoolMax connections.
  const connections = lanes.reduce((n, { svc }) => n + svc.lambda!.maxConcurrency * svc.lambda!.dbPoolMax, 0);
  const budget = def.alerts?.database?.connections ?? Infinity;
  if (connections > budget) {
    const parts = lanes.map(({ svc, lane }) => `${lane} ${svc.lambda!.maxConcurrency} x ${svc.lambda!.dbPoolMax}`).join(' + ');
    p.push(`services: the Lambda lanes may open ${connections} database connections at full concurrency (${parts}; maxConcurrency x dbPoolMax), over alerts.database.connections (${budget}); lower maxConcurrency or dbPoolMax`);
  }
  // No broker check: lambdaLanes() is empty unless the broker is SQS (on BullMQ the lanes run in the pods).
  const proxy = def.target.aws.database.proxy;
  if (!proxy) return [...p, `${f}.aws.database.proxy: required when a lane runs on Lambda (user, secretName, maxConnectionsPercent): the functions reach Postgres through RDS Proxy`];
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(proxy.user)) p.push(`${f}.aws.database.proxy.user: "${proxy.user}" is not a Postgres user name (a-z, 0-9, _)`);
  if (proxy.user === def.dependencies.postgres.user) p.push(`${f}.aws.database.proxy.user: "${proxy.user}" is the RDS master user; the functions connect as the app's own user`);
  if (!/^[\w/+=.@-]{1,512}$/.test(proxy.secretName)) p.push(`${f}.aws.database.proxy.secretName: "${proxy.secretName}" is not a Secrets Manager secret name`);
  if (!isInt(proxy.maxConnectionsPercent, 1, 100)) p.push(`${f}.aws.database.proxy.maxConnectionsPercent: 1 to 100`);
  return p;
}
