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

/** The definition's targets run these drivers (deploy/spillway.ts: targets.<name>.env.QUEUE_DRIVER). */
export const TARGET_DRIVERS: Record<string, QueueDriverName> = { hetzner: 'bullmq', eks: 'sqs' };

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

function toSpec(raw: RawSide, where: string, fromFlag: boolean): SideSpec {
  const one = (k: string) => {
    const v = raw[k];
    if (Array.isArray(v)) throw new Error(`${where}: ${k} given more than once`);
    return v?.trim() || undefined;
  };
  for (const k of Object.keys(raw)) if (!(k in KEYS)) throw new Error(`${where}: unknown key "${k}" (keys: ${Object.keys(KEYS).join(', ')})`);
  const name = one('name');
  if (!name || !/^[a-z0-9][a-z0-9-]{0,31}$/.test(name)) throw new Error(`${where}: name must be 1-32 lower-case letters, digits or - (got "${name ?? ''}")`);
  const driver = one('driver') ?? TARGET_DRIVERS[name];
  if (!driver) throw new Error(`${where}: driver missing for side "${name}" (bullmq or sqs)`);
  if (!(QUEUE_DRIVERS as readonly string[]).includes(driver)) throw new Error(`${where}: driver must be bullmq or sqs (got "${driver}")`);
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
export function parseSideFlag(value: string): SideSpec {
  const shown = `--side ${value.replace(/\/\/[^@/]*@/g, '//***@')}`;
  const raw: RawSide = {};
  for (const part of value.split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0 && Object.keys(raw).length) throw new Error(`${shown}: "${part.replace(/\/\/[^@/]*@/g, '//***@')}" is not key=value`);
    const [k, v] = eq < 0 ? ['name', part] : [part.slice(0, eq), part.slice(eq + 1)];
    const before = raw[k];
    raw[k] = before === undefined ? v : ([] as string[]).concat(before, v);
  }
  return toSpec(raw, shown, true);
}

/** CONSOLE_SIDES: a JSON array of objects with the --side keys (metrics: a string or an array). */
export function parseSidesJson(text: string): SideSpec[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (err) {
    throw new Error(`CONSOLE_SIDES: not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(list) || !list.length) throw new Error('CONSOLE_SIDES: must be a non-empty JSON array of sides');
  return list.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new Error(`CONSOLE_SIDES[${i}]: must be an object`);
    return toSpec(item as RawSide, `CONSOLE_SIDES[${i}]`, false);
  });
}

/**
 * The sides, from `--side` flags, else CONSOLE_SIDES, else one side from the apps' environment
 * (QUEUE_DRIVER and its settings), named after the target that runs that driver.
 */
export function chooseSides(flags: string[], env: NodeJS.ProcessEnv): SideSpec[] {
  if (flags.length && env.CONSOLE_SIDES) throw new Error('sides given twice: use --side flags or CONSOLE_SIDES, not both');
  let sides: SideSpec[];
  if (flags.length) sides = flags.map(parseSideFlag);
  else if (env.CONSOLE_SIDES) sides = parseSidesJson(env.CONSOLE_SIDES);
  else {
    const driver = (env.QUEUE_DRIVER ?? 'bullmq') as QueueDriverName;
    const name = Object.keys(TARGET_DRIVERS).find((n) => TARGET_DRIVERS[n] === driver) ?? driver;
    sides = [{ name, driver, env: { QUEUE_DRIVER: driver }, metrics: (env.CONSOLE_METRICS_URLS ?? '').split(',').map((s) => s.trim()).filter(Boolean) }];
  }
  if ((flags.length || env.CONSOLE_SIDES) && env.CONSOLE_METRICS_URLS) {
    throw new Error('CONSOLE_METRICS_URLS: with several sides give each side its own metrics= instead');
  }
  const names = new Set<string>();
  for (const s of sides) {
    if (names.has(s.name)) throw new Error(`side "${s.name}" given twice`);
    names.add(s.name);
    s.url ??= s.name === 'hetzner' ? env.CONSOLE_HETZNER_URL : s.name === 'eks' ? env.CONSOLE_EKS_URL : undefined;
  }
  return sides;
}

/** The apps' configuration with this side's broker settings laid over it. */
export function sideConfig(side: SideSpec, env: NodeJS.ProcessEnv): SpillwayConfig {
  return loadConfig({ ...env, ...side.env });
}
