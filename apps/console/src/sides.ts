import { existsSync, readFileSync } from 'node:fs';
import { loadConfig, QUEUE_DRIVERS, QueueDriverName, SpillwayConfig } from '@spillway/config';

/** One broker the console reads: a target's queues, named as in deploy/traffic.json when it has a weight. */
export interface SideSpec {
  name: string;
  driver: QueueDriverName;
  /** REDIS_URL, QUEUE_PREFIX, AWS_REGION, SQS_ENDPOINT, SQS_PAYLOAD_BUCKET for this side; unset ones come from the apps' env. */
  env: Record<string, string>;
  /** Base URL of the side's absorber: its /health/ready is shown. */
  url?: string;
  /** The side's absorbers' and workers' /metrics URLs: the in and out rates. */
  metrics: string[];
}

/**
 * The definition's targets by name, as `npm run synth` renders them (deploy/rendered/targets.json,
 * from deploy/spillway.ts: each target's `kind`, its `broker.kind` as `driver`, and its own queue
 * prefix and claim-check bucket when it has them). Read as a file: apps never import deploy/.
 */
export interface Targets {
  file: string;
  byName: Record<string, { kind: string; driver: QueueDriverName; prefix?: string; bucket?: string }>;
}

export const TARGETS_FILE = 'deploy/rendered/targets.json';

/** The targets file's text, checked; every problem names the file and the target. */
export function parseTargets(text: string, file: string): Targets {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message}); render it with npm run synth`, { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file}: must be an object of targets by name`);
  const byName: Targets['byName'] = {};
  for (const [name, t] of Object.entries(raw as Record<string, Record<string, unknown>>)) {
    const where = `${file}: target "${name}"`;
    if (typeof t !== 'object' || t === null) throw new Error(`${where}: must be an object`);
    if (typeof t.kind !== 'string') throw new Error(`${where}: kind missing`);
    if (!(QUEUE_DRIVERS as readonly unknown[]).includes(t.driver)) throw new Error(`${where}: driver must be bullmq or sqs (got "${String(t.driver)}")`);
    const own = (k: 'prefix' | 'bucket') => (typeof t[k] === 'string' && t[k] ? { [k]: t[k] as string } : {});
    byName[name] = { kind: t.kind, driver: t.driver as QueueDriverName, ...own('prefix'), ...own('bucket') };
  }
  return { file, byName };
}

/** The targets file at `file`; none (every side then needs driver=) when it does not exist. */
export function readTargets(file: string = TARGETS_FILE): Targets {
  return existsSync(file) ? parseTargets(readFileSync(file, 'utf8'), file) : { file, byName: {} };
}

const NO_TARGETS: Targets = { file: TARGETS_FILE, byName: {} };

const KEYS: Record<string, string | undefined> = {
  name: undefined,
  driver: undefined,
  redis: 'REDIS_URL',
  prefix: 'QUEUE_PREFIX',
  region: 'AWS_REGION',
  endpoint: 'SQS_ENDPOINT',
  bucket: 'SQS_PAYLOAD_BUCKET',
  url: undefined,
  metrics: undefined,
};

type RawSide = Record<string, string | string[] | undefined>;

function toSpec(given: RawSide, where: string, fromFlag: boolean, targets: Targets): SideSpec {
  let raw = given;
  const one = (k: string) => {
    const v = raw[k];
    if (Array.isArray(v)) throw new Error(`${where}: ${k} given more than once`);
    return v?.trim() || undefined;
  };
  for (const k of Object.keys(given)) if (!(k in KEYS)) throw new Error(`${where}: unknown key "${k}" (keys: ${Object.keys(KEYS).join(', ')})`);
  const name = one('name');
  if (!name || !/^[a-z0-9][a-z0-9-]{0,31}$/.test(name)) throw new Error(`${where}: name must be 1-32 lower-case letters, digits or - (got "${name ?? ''}")`);
  const target = Object.hasOwn(targets.byName, name) ? targets.byName[name] : undefined;
  const driver = one('driver') ?? target?.driver;
  if (!driver) {
    const known = Object.keys(targets.byName);
    throw new Error(`${where}: driver missing for side "${name}" (bullmq or sqs): no target of that name in ${targets.file} (${known.length ? `targets: ${known.join(', ')}` : 'missing or empty'})`);
  }
  if (!(QUEUE_DRIVERS as readonly string[]).includes(driver)) throw new Error(`${where}: driver must be bullmq or sqs (got "${driver}")`);
  // A side named after a target reads that target's broker: a driver= that says otherwise is a mistake.
  if (target && driver !== target.driver) throw new Error(`${where}: driver=${driver}, but target "${name}" runs ${target.driver} (${targets.file}); name the side otherwise to read another broker`);
  // The target's own queue prefix and bucket (when it has them) unless the side gives its own.
  if (target) raw = { prefix: target.prefix, bucket: target.bucket, ...given };
  const env: Record<string, string> = { QUEUE_DRIVER: driver };
  for (const [k, envName] of Object.entries(KEYS)) {
    const v = envName ? one(k) : undefined;
    if (envName && v) env[envName] = v;
  }
  // A flag's value is visible to every user of the machine (ps); a password belongs in the environment.
  if (fromFlag && env.REDIS_URL && URL.canParse(env.REDIS_URL) && new URL(env.REDIS_URL).password) {
    throw new Error(`${where}: the redis URL holds a password, which a flag shows to every user (ps); give this side in CONSOLE_SIDES instead`);
  }
  const m = raw.metrics;
  const metrics = (Array.isArray(m) ? m : m ? [m] : []).map((s) => s.trim()).filter(Boolean);
  return { name, driver: driver as QueueDriverName, env, url: one('url'), metrics };
}

/** `name=hetzner,driver=bullmq,redis=redis://...,metrics=URL,metrics=URL`; a bare `hetzner` is `name=hetzner`. */
export function parseSideFlag(value: string, targets: Targets = NO_TARGETS): SideSpec {
  const shown = `--side ${value.replace(/\/\/[^@/]*@/g, '//***@')}`;
  const raw: RawSide = {};
  for (const part of value.split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0 && Object.keys(raw).length) throw new Error(`${shown}: "${part.replace(/\/\/[^@/]*@/g, '//***@')}" is not key=value`);
    const [k, v] = eq < 0 ? ['name', part] : [part.slice(0, eq), part.slice(eq + 1)];
    const before = raw[k];
    raw[k] = before === undefined ? v : ([] as string[]).concat(before, v);
  }
  return toSpec(raw, shown, true, targets);
}

/** CONSOLE_SIDES: a JSON array of objects with the --side keys (metrics: a string or an array). */
export function parseSidesJson(text: string, targets: Targets = NO_TARGETS): SideSpec[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (err) {
    throw new Error(`CONSOLE_SIDES: not JSON (${(err as Error).message})`, { cause: err });
  }
  if (!Array.isArray(list) || !list.length) throw new Error('CONSOLE_SIDES: must be a non-empty JSON array of sides');
  return list.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new Error(`CONSOLE_SIDES[${i}]: must be an object`);
    return toSpec(item as RawSide, `CONSOLE_SIDES[${i}]`, false, targets);
  });
}

/** CONSOLE_<NAME>_URL: the side's name upper-cased, `-` as `_` (as cutover's CUTOVER_<NAME>_URL). */
export const urlEnvName = (side: string): string => `CONSOLE_${side.toUpperCase().replace(/-/g, '_')}_URL`;

/**
 * The sides, from `--side` flags, else CONSOLE_SIDES, else one side from the apps' environment
 * (QUEUE_DRIVER and its settings), named after the first target whose broker is that driver.
 */
export function chooseSides(flags: string[], env: NodeJS.ProcessEnv, targets: Targets = NO_TARGETS): SideSpec[] {
  if (flags.length && env.CONSOLE_SIDES) throw new Error('sides given twice: use --side flags or CONSOLE_SIDES, not both');
  let sides: SideSpec[];
  if (flags.length) sides = flags.map((f) => parseSideFlag(f, targets));
  else if (env.CONSOLE_SIDES) sides = parseSidesJson(env.CONSOLE_SIDES, targets);
  else {
    const driver = (env.QUEUE_DRIVER ?? 'bullmq') as QueueDriverName;
    const name = Object.keys(targets.byName).find((n) => targets.byName[n].driver === driver) ?? driver;
    sides = [{ name, driver, env: { QUEUE_DRIVER: driver }, metrics: (env.CONSOLE_METRICS_URLS ?? '').split(',').map((s) => s.trim()).filter(Boolean) }];
  }
  if ((flags.length || env.CONSOLE_SIDES) && env.CONSOLE_METRICS_URLS) {
    throw new Error('CONSOLE_METRICS_URLS: with several sides give each side its own metrics= instead');
  }
  const names = new Set<string>();
  for (const s of sides) {
    if (names.has(s.name)) throw new Error(`side "${s.name}" given twice`);
    names.add(s.name);
    s.url ??= env[urlEnvName(s.name)] || undefined;
  }
  return sides;
}

/** The apps' configuration with this side's broker settings laid over it. */
export function sideConfig(side: SideSpec, env: NodeJS.ProcessEnv): SpillwayConfig {
  return loadConfig({ ...env, ...side.env });
}
