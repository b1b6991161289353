#!/usr/bin/env bash
# npm run test:mutation -- [module...]: StrykerJS over each named module (all when none), one after
# the other. Needs Postgres, Redis (DATABASE_URL, REDIS_URL as for npm test); takes hours for all.
set -euo pipefail
cd "$(dirname "$0")/.."
modules=("$@")
if [ ${#modules[@]} -eq 0 ]; then
  mapfile -t modules < <(node --input-type=module -e "import('./stryker/modules.mjs').then((m) => console.log(Object.keys(m.MODULES).join('\n')))")
fi
if [ "${modules[0]}" = "--help" ]; then
  echo "usage: npm run test:mutation -- [$(node --input-type=module -e "import('./stryker/modules.mjs').then((m) => console.log(Object.keys(m.MODULES).join('|')))")...]"
  exit 0
fi
for m in "${modules[@]}"; do
  # Stryker runs only the cases that reach a mutant: a case that fails alone would make every
  # mutant it covers look detected. Refuse the run instead of reporting a score that is not true.
  echo "== cases run alone: $m"
  node stryker/isolation.mjs "$m"
  echo "== mutation testing: $m"
  STRYKER_MODULE="$m" npx stryker run stryker.config.mjs
done
