// The path aliases (`@spillway/<lib>` for libs/<lib>/src), stated once in tsconfig.json's `paths`
// (read there by tsc, @swc-node/register and esbuild), for the tools that do not read it: Vitest
// (resolve.alias, vitest.shared.mts) and the built dist/ (scripts/dist-aliases.mjs).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');

/** [alias, target] pairs, e.g. ['@spillway/queue', 'libs/queue/src'], ['@spillway/queue/*', 'libs/queue/src/*']. */
function aliases() {
  const { compilerOptions } = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8'));
  // Only the project's own: the @kubernetes-models/* entries there give tsc (node10 resolution) the
  // types of two packages that name them only in `exports`; node and Vitest resolve those packages themselves.
  return Object.entries(compilerOptions.paths ?? {})
    .filter(([alias]) => alias.startsWith('@spillway/'))
    .map(([alias, [target]]) => [alias, target.replace(/^\.\//, '')]);
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The repository path an import specifier stands for ('@spillway/queue/sqs/x' -> 'libs/queue/src/sqs/x'), or undefined. */
function resolveAlias(specifier) {
  for (const [alias, target] of aliases()) {
    if (alias.endsWith('/*')) {
      const base = alias.slice(0, -1);
      if (specifier.startsWith(base)) return target.slice(0, -1) + specifier.slice(base.length);
    } else if (specifier === alias) {
      return target;
    }
  }
  return undefined;
}

/** Vite's resolve.alias (Vitest) for every alias: absolute targets under `root`, exact names and subpaths. */
function viteAliases(root) {
  return aliases().map(([alias, target]) =>
    alias.endsWith('/*')
      ? { find: new RegExp(`^${escape(alias.slice(0, -2))}/(.*)$`), replacement: `${join(root, target.slice(0, -2))}/$1` }
      : { find: new RegExp(`^${escape(alias)}$`), replacement: join(root, target) },
  );
}

module.exports = { aliases, viteAliases, resolveAlias };
