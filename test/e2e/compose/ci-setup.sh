#!/usr/bin/env bash
# CI-ONLY. Gives a bare Debian bookworm machine (root, no Docker, no container registry) what the
# compose e2e suite needs: Debian's Docker engine, docker-compose and docker-registry, a running dockerd, and local
# stand-ins for the base images the Dockerfile and docker-compose.yml name, so nothing is pulled.
# A developer with Docker and registry access does not need this: `npm run test:e2e` is enough.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
# The release e2e pushes the built image to a registry of its own on loopback (release.e2e.ts).
[ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
if ((${#missing[@]})); then
  echo "== apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# No systemd on CI: run dockerd ourselves, logging outside the repo, and leave it running so the
# next run (and the image cache it holds) is warm.
if ! docker info >/dev/null 2>&1; then
  echo "== starting dockerd (log: /var/log/spillway-dockerd.log)"
  nohup dockerd >/var/log/spillway-dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null; then
    echo "dockerd did not come up; last lines of its log:" >&2
    tail -n 30 /var/log/spillway-dockerd.log >&2
    exit 1
  fi
fi
echo "== docker engine $(docker version --format '{{.Server.Version}}'), $(docker-compose version --short 2>/dev/null || docker-compose --version)"

"$here/standins.sh"
