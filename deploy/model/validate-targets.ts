// Checks of `targets` (each by its kind), `dns` and the env every target adds. Each problem names
// its field as `targets.<name>...`, so a second target of a kind is checked like the first.
import { ComposeTarget, EksTarget, MONITORING_SERVICES, Resources, SpillwayDefinition } from './definition';
import { DERIVED_ENV } from './env';

export const DNS_LABEL = /^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/;
export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

export function checkEnv(p: string[], field: string, env: Record<string, string>, secrets: string[]): void {
  for (const name of Object.keys(env)) {
    if (!ENV_NAME.test(name)) p.push(`${field}.${name}: not a valid env name (A-Z, 0-9, _)`);
    if ((DERIVED_ENV as readonly string[]).includes(name)) {
      p.push(`${field}.${name}: computed from the definition's typed fields; set those instead${name === 'QUEUE_DRIVER' ? ' (the target\'s broker)' : ''}`);
    }
    if (secrets.includes(name)) p.push(`${field}.${name}: declared in secrets; a secret never has a plain value`);
  }
}

/** Memory the OS, Docker and the Caddy proxy keep on the box, outside every container's limit. */
export const BOX_RESERVE_MIB = 512;

/** Every container's limits on a compose target's box. */
function checkBox(p: string[], f: string, t: ComposeTarget): void {
  const box = t.box;
  const redis = t.broker.redis;
  const sized: Array<[string, Resources, number]> = [
    ...Object.entries(t.services).map(([name, s]): [string, Resources, number] => [`${f}.services.${name}.resources`, s.resources, s.replicas]),
    [`${f}.broker.redis.resources`, redis.resources, 1],
    [`${f}.postgres.resources`, t.postgres.resources, 1],
    [`${f}.backup.resources`, t.backup.resources, 1],
    // The monitoring profile counts: it is meant to run on the same box in production.
    ...MONITORING_SERVICES.map((name): [string, Resources, number] => [`${f}.monitoring.containers.${name}.resources`, t.monitoring.containers[name].resources, 1]),
  ];
  let memory = 0;
  for (const [field, r, replicas] of sized) {
    if (r.limits.cpuMillis > box.vcpus * 1000) p.push(`${field}.limits.cpuMillis: more than the box's ${box.vcpus} vCPU`);
    if (!(r.requests.memoryMiB > 0) || r.limits.memoryMiB < r.requests.memoryMiB) p.push(`${field}: limits must be >= requests > 0`);
    memory += r.limits.memoryMiB * replicas;
  }
  if (memory > box.memoryMiB - BOX_RESERVE_MIB) {
    p.push(`${f}.box: memory limits add up to ${memory} MiB, over the ${box.type}'s ${box.memoryMiB} MiB less ${BOX_RESERVE_MIB} for the OS`);
  }
  if (!(redis.maxMemoryMiB > 0) || redis.maxMemoryMiB >= redis.resources.limits.memoryMiB) {
    p.push(`${f}.broker.redis.maxMemoryMiB: above 0 and below its container memory limit (an AOF rewrite forks)`);
  }
}

function checkMonitoring(p: string[], def: SpillwayDefinition, f: string, t: ComposeTarget): void {
  const m = t.monitoring;
  f = `${f}.monitoring`;
  if (!(Number.isInteger(m.scrapeSeconds) && m.scrapeSeconds >= 1)) p.push(`${f}.scrapeSeconds: whole seconds >= 1`);
  if (!(Number.isInteger(m.retentionDays) && m.retentionDays >= 1)) p.push(`${f}.retentionDays: whole days >= 1`);
  const published = def.services.filter((s) => s.public).map((s) => s.port);
  for (const [ui, port] of Object.entries(m.ports)) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) p.push(`${f}.ports.${ui}: must be 1-65535`);
    else if (published.includes(port)) p.push(`${f}.ports.${ui}: ${port} is already published by a public service`);
  }
  if (m.ports.prometheus === m.ports.grafana) p.push(`${f}.ports: prometheus and grafana need different host ports`);
  for (const name of MONITORING_SERVICES) {
    const c = m.containers[name];
    if (!c?.image) p.push(`${f}.containers.${name}.image: required`);
    for (const secret of c?.secrets ?? []) if (!ENV_NAME.test(secret)) p.push(`${f}.containers.${name}.secrets: "${secret}" is not a valid env name`);
  }
  if (!m.containers.grafana?.secrets.includes('GF_SECURITY_ADMIN_PASSWORD')) {
    p.push(`${f}.containers.grafana.secrets: must include GF_SECURITY_ADMIN_PASSWORD (Grafana's default admin password is "admin")`);
  }
}

function composeProblems(p: string[], def: SpillwayDefinition, f: string, t: ComposeTarget): void {
  if (t.broker?.kind !== 'bullmq') p.push(`${f}.broker.kind: a compose target runs BullMQ on its own Redis container`);
  for (const svc of def.services) {
    const placed = t.services[svc.name];
    if (!placed) {
      p.push(`${f}.services.${svc.name}: missing (replicas and resources on the box)`);
      continue;
    }
    if (!Number.isInteger(placed.replicas) || placed.replicas < 1) p.push(`${f}.services.${svc.name}.replicas: must be >= 1`);
    if (svc.public && placed.replicas !== 1) p.push(`${f}.services.${svc.name}.replicas: a public service publishes its port on the box, so only 1 fits`);
  }
  for (const name of Object.keys(t.services)) if (!def.services.some((s) => s.name === name)) p.push(`${f}.services.${name}: not a service of the definition`);
  if (!t.secretsDir || t.secretsDir.startsWith('/')) p.push(`${f}.secretsDir: a path relative to the repository root`);
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(t.publishAddress)) p.push(`${f}.publishAddress: an IPv4 address (127.0.0.1 or 0.0.0.0)`);
  if (!p.some((x) => x.startsWith(`${f}.services.`))) checkBox(p, f, t);
  const b = t.backup;
  if (!(b.everyHours > 0)) p.push(`${f}.backup.everyHours: must be > 0`);
  if (!Number.isInteger(b.retentionDays) || b.retentionDays < 1) p.push(`${f}.backup.retentionDays: whole days >= 1`);
  if (!Number.isInteger(b.keepMin) || b.keepMin < 1) p.push(`${f}.backup.keepMin: >= 1`);
  if (!b.s3.bucket) p.push(`${f}.backup.s3.bucket: required`);
  if (!b.secrets.includes('BACKUP_ENCRYPTION_KEY')) p.push(`${f}.backup.secrets: must include BACKUP_ENCRYPTION_KEY (dumps leave the box encrypted)`);
  checkMonitoring(p, def, f, t);
}

function eksProblems(p: string[], f: string, t: EksTarget): void {
  if (t.broker?.kind !== 'sqs' && t.broker?.kind !== 'bullmq') p.push(`${f}.broker.kind: sqs or bullmq`);
  if (t.broker?.kind === 'bullmq') {
    const nodeType = t.broker.redis?.elasticache?.nodeType;
    if (!nodeType) p.push(`${f}.broker.redis.elasticache.nodeType: required (an EKS target's BullMQ runs on ElastiCache)`);
    // cache.t1/m1/m2/c1/t2 cannot encrypt in transit, and the pods connect with rediss:// only.
    else if (!/^cache\.(t3|t4g|m[5-9]g?|r[5-9]g?|r6gd|c7gn)\.[a-z0-9]+$/.test(nodeType)) p.push(`${f}.broker.redis.elasticache.nodeType: "${nodeType}" is not an ElastiCache node type that encrypts in transit (cache.t4g.small, cache.m7g.large...)`);
  }
  if (t.queuePrefix !== undefined && !/^[A-Za-z0-9_-]{1,40}$/.test(t.queuePrefix)) p.push(`${f}.queuePrefix: 1-40 of A-Z a-z 0-9 _ - (SQS queue names)`);
  if (!DNS_LABEL.test(t.namespace)) p.push(`${f}.namespace: must be a DNS label`);
  if (!/^\d{12}$/.test(t.accountId)) p.push(`${f}.accountId: must be 12 digits`);
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(t.region)) p.push(`${f}.region: "${t.region}" is not an AWS region`);
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(t.vpcCidr)) p.push(`${f}.vpcCidr: must be a CIDR like 10.0.0.0/16`);
  if (t.weights.blue + t.weights.green !== 100) p.push(`${f}.weights: blue + green must be 100`);
  if (!(t.preStopSeconds >= 0)) p.push(`${f}.preStopSeconds: must be >= 0`);
  if (!t.certificateArn.startsWith('arn:aws:acm:')) p.push(`${f}.certificateArn: must be an ACM certificate ARN`);
  if (!/^[a-zA-Z0-9+=,.@_-]{1,64}$/.test(t.roleName)) p.push(`${f}.roleName: not a valid IAM role name`);
}

/** Two EKS targets must not share what AWS or the cluster keys by name. */
function distinctProblems(def: SpillwayDefinition): string[] {
  const eks = Object.entries(def.targets).filter((e): e is [string, EksTarget] => e[1].kind === 'eks');
  const p: string[] = [];
  const same = (what: string, key: (t: EksTarget) => string) => {
    const seen = new Map<string, string>();
    for (const [name, t] of eks) {
      const k = key(t);
      if (seen.has(k)) p.push(`targets.${name}.${what}: "${k.split('|').pop()}" is also targets.${seen.get(k)}'s`);
      else seen.set(k, name);
    }
  };
  same('aws.stackPrefix', (t) => `${t.accountId}|${t.aws.stackPrefix}`);
  same('namespace', (t) => `${t.cluster}|${t.namespace}`);
  same('queuePrefix', (t) => `${t.accountId}|${t.region}|${t.queuePrefix ?? def.queuePrefix}`);
  return p;
}

function dnsProblems(def: SpillwayDefinition): string[] {
  const p: string[] = [];
  const dns = def.dns;
  const named = Object.keys(dns.records ?? {});
  for (const name of named) if (!def.targets[name]) p.push(`dns.records.${name}: not a target`);
  for (const name of Object.keys(dns.weights)) if (!named.includes(name)) p.push(`dns.weights.${name}: no record in dns.records (deploy/traffic.json)`);
  let sum = 0;
  for (const name of named) {
    const w = dns.weights[name];
    if (!Number.isInteger(w) || w < 0 || w > 100) p.push(`dns.weights.${name}: an integer from 0 to 100 (deploy/traffic.json)`);
    else sum += w;
  }
  if (!p.length && sum !== 100) p.push(`dns.weights: ${named.join(' + ')} must be 100 (deploy/traffic.json)`);
  if (!/^Z[A-Z0-9]{1,31}$/.test(dns.zoneId)) p.push(`dns.zoneId: not a Route 53 hosted zone id`);
  if (!(dns.ttl >= 1 && dns.ttl <= 300)) p.push(`dns.ttl: 1 to 300 seconds (a cutover moves no faster than the TTL)`);
  return p;
}

export function targetProblems(def: SpillwayDefinition): string[] {
  const p: string[] = [];
  if (!Object.keys(def.targets).length) p.push('targets: at least one');
  for (const [name, t] of Object.entries(def.targets)) {
    const f = `targets.${name}`;
    if (!DNS_LABEL.test(name)) p.push(`${f}: a target's name is a DNS label (it names files, records and env)`);
    if (t.kind === 'compose') composeProblems(p, def, f, t);
    else if (t.kind === 'eks') {
      eksProblems(p, f, t);
      // On BullMQ the pods' REDIS_URL comes from the cache stack's secret; a second one would shadow it.
      if (t.broker?.kind === 'bullmq') def.services.forEach((svc, i) => svc.secrets.includes('REDIS_URL') && p.push(`services[${i}].secrets: REDIS_URL comes from the cache stack's secret on ${f} (broker bullmq); leave it out`));
    }
    else p.push(`${f}.kind: "${(t as { kind: string }).kind}" has no renderer (compose or eks)`);
    checkEnv(p, `${f}.env`, t.env, Object.keys(def.secrets));
  }
  return [...p, ...distinctProblems(def), ...dnsProblems(def)];
}
