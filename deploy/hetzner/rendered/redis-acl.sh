#!/bin/sh
# Rendered by `npm run synth` from deploy/spillway.ts (deploy/hetzner/redis-acl.ts).
set -eu
umask 077
acl="${REDIS_ACL_FILE:-/run/redis-acl/users.acl}"
hash() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
need() { [ "${#2}" -ge 16 ] || { echo "redis-acl: $1 unset or under 16 characters in redis.env" >&2; exit 78; }; }
need REDIS_ABSORBER_PASSWORD "${REDIS_ABSORBER_PASSWORD:-}"
need REDIS_WORKER_PASSWORD "${REDIS_WORKER_PASSWORD:-}"
need REDIS_EXPORTER_PASSWORD "${REDIS_EXPORTER_PASSWORD:-}"
{
  echo 'user default off resetpass resetkeys resetchannels -@all'
  echo "user absorber on #$(hash "$REDIS_ABSORBER_PASSWORD") resetkeys ~spillway:* resetchannels -@all +@read +@write +@keyspace +@scripting +@transaction +@connection +@blocking -@dangerous +info +client|setname +client|getname +client|id +client|list"
  echo "user worker on #$(hash "$REDIS_WORKER_PASSWORD") resetkeys ~spillway:* resetchannels -@all +@read +@write +@keyspace +@scripting +@transaction +@connection +@blocking -@dangerous +info +client|setname +client|getname +client|id +client|list"
  echo "user exporter on #$(hash "$REDIS_EXPORTER_PASSWORD") resetkeys -@all +@connection +info +config|get +client|list +slowlog|get +slowlog|len +latency|latest +dbsize +memory|stats"
} > "$acl"
if command -v docker-entrypoint.sh >/dev/null; then
  chown redis "$acl"
  exec docker-entrypoint.sh redis-server --aclfile "$acl" "$@"
fi
exec redis-server --aclfile "$acl" "$@"
