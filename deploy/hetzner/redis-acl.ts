// Redis on the box behind an ACL: the `default` user off, one user per service that talks to Redis,
// each with only the commands it needs. The start script rendered here writes the ACL file with
// SHA-256 hashes of the passwords (from the redis container's own secret file) to a tmpfs, then
// starts redis-server with it; no password is in the file, the script or any argument.
import { ComposeDefinition } from '../model/definition';

export interface RedisUser {
  /** The compose service that logs in as this user. */
  service: string;
  user: string;
  passwordEnv: string;
  /** ACL rules after `on #<hash> reset...`. */
  rules: string;
}

/**
 * BullMQ and the Redis idempotency store: every key under the queue prefix. Categories they need:
 * @read/@write (jobs, sorted sets, streams), @scripting (BullMQ's Lua scripts, EVALSHA, SCRIPT LOAD),
 * @transaction (MULTI/EXEC), @connection (AUTH, HELLO, PING, SELECT), @blocking (BZPOPMIN on
 * the marker key). -@dangerous then removes FLUSHALL, KEYS, CONFIG, DEBUG, SHUTDOWN, MONITOR and
 * the rest; INFO (BullMQ reads the server version, the absorber memory use) and CLIENT SETNAME /
 * GETNAME / ID / LIST (BullMQ names its connections and lists its workers) are added back one by one.
 */
export function appRules(def: ComposeDefinition): string {
  return [
    `~${def.queuePrefix}:*`,
    'resetchannels',
    '-@all',
    '+@read',
    '+@write',
    '+@keyspace',
    '+@scripting',
    '+@transaction',
    '+@connection',
    '+@blocking',
    '-@dangerous',
    '+info',
    '+client|setname',
    '+client|getname',
    '+client|id',
    '+client|list',
  ].join(' ');
}

/** redis_exporter: server statistics only, no key. */
export const EXPORTER_RULES = ['-@all', '+@connection', '+info', '+config|get', '+client|list', '+slowlog|get', '+slowlog|len', '+latency|latest', '+dbsize', '+memory|stats'].join(' ');

export function redisUsers(def: ComposeDefinition): RedisUser[] {
  return [
    { service: 'absorber', user: 'absorber', passwordEnv: 'REDIS_ABSORBER_PASSWORD', rules: appRules(def) },
    { service: 'worker', user: 'worker', passwordEnv: 'REDIS_WORKER_PASSWORD', rules: appRules(def) },
    { service: 'redis-exporter', user: 'exporter', passwordEnv: 'REDIS_EXPORTER_PASSWORD', rules: EXPORTER_RULES },
  ];
}

/** Where the ACL file is written in the redis container (a tmpfs). */
export const REDIS_ACL_DIR = '/run/redis-acl';

/**
 * `sh redis-acl.sh <redis-server options>`: writes the ACL file, then starts Redis through the
 * image's entrypoint (which drops to the redis user); without that entrypoint (tests on a
 * machine with redis-server installed), redis-server directly. REDIS_ACL_FILE overrides the path.
 */
export function renderRedisAclScript(def: ComposeDefinition): string {
  const users = redisUsers(def);
  return [
    '#!/bin/sh',
    '# Rendered by `npm run synth` from deploy/spillway.ts (deploy/hetzner/redis-acl.ts).',
    'set -eu',
    'umask 077',
    `acl="\${REDIS_ACL_FILE:-${REDIS_ACL_DIR}/users.acl}"`,
    `hash() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }`,
    `need() { [ "\${#2}" -ge 16 ] || { echo "redis-acl: $1 unset or under 16 characters in redis.env" >&2; exit 78; }; }`,
    ...users.map((u) => `need ${u.passwordEnv} "\${${u.passwordEnv}:-}"`),
    '{',
    `  echo 'user default off resetpass resetkeys resetchannels -@all'`,
    ...users.map((u) => `  echo "user ${u.user} on #$(hash "$${u.passwordEnv}") resetkeys ${u.rules}"`),
    '} > "$acl"',
    'if command -v docker-entrypoint.sh >/dev/null; then',
    '  chown redis "$acl"',
    '  exec docker-entrypoint.sh redis-server --aclfile "$acl" "$@"',
    'fi',
    'exec redis-server --aclfile "$acl" "$@"',
    '',
  ].join('\n');
}
