#!/usr/bin/env bash
# Puts the box's monitoring programs, at the box's versions, in a cache outside the checkout and
# prints their bin folder: Prometheus and promtool of the major the box runs, and the Postgres,
# Redis and node exporters whose metric names the dashboards and alert rules use. The tests run
# promtool and the exporters; the compose e2e's stand-in images carry prometheus and the exporters.
#
#   bin="$(scripts/monitoring-bins.sh)"   # then $bin/promtool, $bin/prometheus, $bin/postgres_exporter, ...
#
# Debian's packages are the only source of them this project's machines reach, and Debian 12 has
# Prometheus 2.42 only. Newer Debian suites have the box's versions, as static Go programs that need
# only libc (>= 2.34), so they run here: their .debs are fetched with apt from a private list (the
# machine's apt sources are not touched) and unpacked, never installed. Needs root (apt); a cache
# already complete is used as it is, with no network.
# Cache: $SPILLWAY_MONITORING_CACHE, else $XDG_CACHE_HOME/spillway/monitoring, else ~/.cache/spillway/monitoring.
set -euo pipefail

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

# program  package/suite  (the box's image, deploy/spillway.ts). sid is the only suite with a
# Prometheus 3 (3.5.3 for the box's v3.5.0: the server and its promtool); trixie has postgres_exporter 0.17.1 (box: v0.17.1)
# and node_exporter 1.9.0 (box: v1.9.1); redis_exporter is 1.69 in trixie, 1.86 in sid (box:
# v1.91.1, the nearest is taken). Bump the suites here when the box's images move.
programs=(
  "promtool promtool/sid"
  "prometheus prometheus/sid"
  "postgres_exporter prometheus-postgres-exporter/trixie"
  "redis_exporter prometheus-redis-exporter/sid"
  "node_exporter prometheus-node-exporter/trixie"
)

cache="${SPILLWAY_MONITORING_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spillway/monitoring}"
bin="$cache/bin"

# The cache names the packages it was fetched from: a changed list above fetches again.
stamp="${programs[*]}"
complete() {
  local p
  [ "$(cat "$bin/.packages" 2>/dev/null)" = "$stamp" ] || return 1
  for p in "${programs[@]}"; do
    "$bin/${p%% *}" --version >/dev/null 2>&1 || return 1
  done
}

if ! complete; then
  mkdir -p "$cache"
  # Test files start side by side and each asks: one fetches, the others wait for its result.
  exec 9>"$cache/.lock"
  flock 9
fi
if ! complete; then
  command -v apt-get >/dev/null || { echo "scripts/monitoring-bins.sh: needs apt-get (Debian's packages are the source)" >&2; exit 1; }
  echo "scripts/monitoring-bins.sh: fetching ${programs[*]#* } into $bin" >&2
  tmp="$(mktemp -d "$cache/.fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/lists/partial" "$tmp/archives/partial" "$tmp/debs" "$tmp/root" "$tmp/bin"
  cat >"$tmp/sources.list" <<'EOF'
deb http://deb.debian.org/debian trixie main
deb http://deb.debian.org/debian sid main
EOF
  # A private apt: its own source list, package lists and download cache; the dpkg status is only read.
  apt=(-o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp" -o "Dir::Cache::archives=$tmp/archives"
    -o APT::Sandbox::User=root -o Acquire::Languages=none -q)
  log="$tmp/apt.log"
  if ! apt-get "${apt[@]}" update >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "scripts/monitoring-bins.sh: apt-get update of Debian trixie/sid failed" >&2
    exit 1
  fi
  packages=()
  for p in "${programs[@]}"; do packages+=("${p#* }"); done
  if ! (cd "$tmp/debs" && apt-get "${apt[@]}" download "${packages[@]}") >>"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "scripts/monitoring-bins.sh: apt-get download ${packages[*]} failed (a package gone from its suite? see the list above)" >&2
    exit 1
  fi
  for deb in "$tmp"/debs/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
  for p in "${programs[@]}"; do
    name="${p%% *}" package="${p#* }"
    package="${package%/*}"
    # Debian names each program after its package (prometheus-postgres-exporter, promtool).
    src="$tmp/root/usr/bin/$package"
    install -m 755 "$src" "$tmp/bin/$name"
    "$tmp/bin/$name" --version >/dev/null 2>&1 || { echo "scripts/monitoring-bins.sh: $name from $package does not run here" >&2; exit 1; }
  done
  printf '%s\n' "$stamp" >"$tmp/bin/.packages"
  # Renamed into place last, so an interrupted fetch never leaves a half folder behind.
  rm -rf "$bin"
  mv "$tmp/bin" "$bin"
fi
echo "$bin"
