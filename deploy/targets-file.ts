// deploy/rendered/targets.json: each target's name, kind and broker, for the tools that reach a
// target's queues by name without importing deploy/ (apps never import deploy/: eslint.config.mjs).
// The operator console reads it (apps/console/src/sides.ts: a bare `--side <name>` takes its
// driver, and the target's own queue prefix and claim-check bucket, from here).
import { SpillwayDefinition } from './model/definition';
import { payloadBucket } from './model/queues';

export const TARGETS_FILE = 'deploy/rendered/targets.json';

/** One target as the console reads it: the keys are the console's `--side` keys. */
export interface TargetEntry {
  kind: string;
  driver: string;
  /** Only for a target with a queue prefix of its own; else the apps' QUEUE_PREFIX applies (as in cutover). */
  prefix?: string;
  /** The claim-check bucket that goes with its own prefix (SQS). */
  bucket?: string;
}

export function targetEntries(def: Pick<SpillwayDefinition, 'targets'>): Record<string, TargetEntry> {
  return Object.fromEntries(
    Object.entries(def.targets).map(([name, t]) => {
      const own = t.kind === 'eks' && t.queuePrefix !== undefined ? { prefix: t.queuePrefix, bucket: payloadBucket(t.queuePrefix!, t.accountId) } : {};
      return [name, { kind: t.kind, driver: t.broker.kind, ...own }];
    }),
  );
}

export function renderTargetsFile(def: Pick<SpillwayDefinition, 'targets'>): Record<string, string> {
  return { [TARGETS_FILE]: `${JSON.stringify(targetEntries(def), null, 2)}\n` };
}
