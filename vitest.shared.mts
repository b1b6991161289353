// What every Vitest config here shares (vitest.config.mts, test/e2e, bench/sqs-calls, stryker):
// how TypeScript is compiled and how `@spillway/<lib>` resolves. Plain ES modules (Vite's native
// config loader takes them as they are); typechecked by tsconfig.vitest.json.
import { createRequire } from 'node:module';
import swc from 'unplugin-swc';
import type { ViteUserConfig } from 'vitest/config';

/** The repository: the folder of this file. */
export const ROOT = import.meta.dirname;

const { viteAliases } = createRequire(import.meta.url)('./scripts/path-aliases.cjs') as {
  viteAliases: (root: string) => Array<{ find: RegExp; replacement: string }>;
};

export const shared: ViteUserConfig = {
  root: ROOT,
  // `@spillway/<lib>` imports, as tsconfig.json's `paths` states them.
  resolve: { alias: viteAliases(ROOT) },
  // ES modules out, so Vite's module runner can link them; the rest of .swcrc (legacy decorators,
  // decorator metadata, keepClassNames) is kept.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  // No Oxc/esbuild transform (Vite's own, which emits no decorator metadata): swc does it.
  oxc: false,
  esbuild: false,
};
