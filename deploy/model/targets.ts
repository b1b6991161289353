// Targets by name and kind: picking one for a renderer, and the questions every kind answers the
// same way (its queue driver, its queue prefix).
import { ComposeTarget, EksTarget, Named, SharedDefinition, SpillwayDefinition, Target, TargetDefinition, TargetKind } from './definition';

type OfKind<K extends TargetKind> = Extract<Target, { kind: K }>;

/** The definition's targets of one kind, in definition order, each with its name. */
export function targetsOfKind<K extends TargetKind>(def: Pick<SpillwayDefinition, 'targets'>, kind: K): Named<OfKind<K>>[] {
  return Object.entries(def.targets)
    .filter((entry): entry is [string, OfKind<K>] => entry[1].kind === kind)
    .map(([name, t]) => ({ ...t, name }));
}

/** The target's own queue prefix (an EKS target may set one), else the definition's. */
export function queuePrefixOf(def: Pick<SharedDefinition, 'queuePrefix'>, target: Target): string {
  return (target.kind === 'eks' ? target.queuePrefix : undefined) ?? def.queuePrefix;
}

/** One target by name, checked to be of `kind`. */
export function namedTarget<K extends TargetKind>(def: Pick<SpillwayDefinition, 'targets'>, name: string, kind: K): Named<OfKind<K>> {
  const t = def.targets[name];
  if (!t) throw new Error(`no target "${name}" (targets: ${Object.keys(def.targets).join(', ')})`);
  if (t.kind !== kind) throw new Error(`target "${name}" is of kind ${t.kind}, not ${kind}`);
  return { ...(t as OfKind<K>), name };
}

/**
 * The target of `kind` that takes public traffic (named in dns.records): the one the release
 * pipeline, the move path and the cost report are about. Exactly one per kind.
 */
export function primaryTargetName(def: SpillwayDefinition, kind: TargetKind): string {
  const names = Object.keys(def.dns.records).filter((n) => def.targets[n]?.kind === kind);
  if (names.length !== 1) throw new Error(`dns.records: expected one ${kind} target, found ${names.length ? names.join(', ') : 'none'}`);
  return names[0];
}

/**
 * The shared definition with one target, as a renderer of its kind reads it. For an EKS target,
 * `name` is its `aws.stackPrefix`: what the account's resources are named after (stacks, the ALB,
 * alarms, functions, secrets it makes), which validation keeps unique per account.
 */
export function targetDefinition<K extends TargetKind>(def: SpillwayDefinition, name: string, kind: K): TargetDefinition<OfKind<K>> {
  const target = namedTarget(def, name, kind);
  const { targets: _all, ...shared } = def;
  const t: Target = target;
  const own = t.kind === 'eks' ? t.aws.stackPrefix : def.name;
  return { ...shared, name: own, queuePrefix: queuePrefixOf(def, target), target };
}

/** The primary EKS target's view (see primaryTargetName). */
export const eksDefinition = (def: SpillwayDefinition): TargetDefinition<EksTarget> => targetDefinition(def, primaryTargetName(def, 'eks'), 'eks');

/** The primary compose target's view (see primaryTargetName). */
export const composeDefinition = (def: SpillwayDefinition): TargetDefinition<ComposeTarget> => targetDefinition(def, primaryTargetName(def, 'compose'), 'compose');

/** QUEUE_DRIVER of a target: its broker's kind. */
export const queueDriverOf = (t: Target): Target['broker']['kind'] => t.broker.kind;

/** The target object itself (not a copy), checked to be of `kind`: for code that edits a definition. */
export function targetOf<K extends TargetKind>(def: Pick<SpillwayDefinition, 'targets'>, name: string, kind: K): OfKind<K> {
  const t = def.targets[name];
  if (t?.kind !== kind) throw new Error(`no ${kind} target "${name}"`);
  return t as OfKind<K>;
}
