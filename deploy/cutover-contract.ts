import { SpillwayDefinition } from './model/definition';
import { plainEnv } from './model/env';

/**
 * Env that legitimately differs between the targets; everything else must agree. WORKER_LANES too:
 * on EKS a worker's pods leave out the lanes its Lambda functions serve (lambda-lanes.ts), pods and
 * functions together serving the worker's `lanes` as the Hetzner container does. DATABASE_CA: only
 * EKS's database (RDS) has a certificate from a CA outside Node's store. QUEUE_PREFIX: a target may
 * name its own queues (the cutover reaches each target's queues with its own prefix).
 */
const TARGET_SPECIFIC = new Set(['QUEUE_PREFIX', 'QUEUE_DRIVER', 'REDIS_URL', 'SQS_ENDPOINT', 'AWS_REGION', 'SQS_PAYLOAD_BUCKET', 'WORKER_LANES', 'DATABASE_CA']);

/** The cutover's env contract: each service's plain env is the same on the two targets but for TARGET_SPECIFIC. */
export function envContractProblems(def: SpillwayDefinition, [from, to]: [string, string] = ['hetzner', 'eks']): string[] {
  const problems: string[] = [];
  const [a, b] = [{ ...def.targets[from], name: from }, { ...def.targets[to], name: to }];
  for (const svc of def.services) {
    const [h, e] = [plainEnv(def, svc, a), plainEnv(def, svc, b)];
    for (const name of new Set([...Object.keys(h), ...Object.keys(e)])) {
      if (!TARGET_SPECIFIC.has(name) && h[name] !== e[name]) problems.push(`${svc.name}: ${name} differs between targets (${h[name]} vs ${e[name]})`);
    }
  }
  return problems;
}
