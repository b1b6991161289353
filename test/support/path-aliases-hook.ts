// jest's globalSetup and globalTeardown are loaded outside its module registry, so its
// moduleNameMapper does not reach them or what they import: resolve `@spillway/<lib>` here, from
// the same tsconfig paths (Node's own in-thread resolve hook; imported first by both files).
import { registerHooks } from 'node:module';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { resolveAlias } = require('../../scripts/path-aliases.cjs') as { resolveAlias: (specifier: string) => string | undefined };

const registered = globalThis as { spillwayAliasHook?: boolean };
if (!registered.spillwayAliasHook) {
  registered.spillwayAliasHook = true;
  registerHooks({
    resolve(specifier, context, next) {
      const target = resolveAlias(specifier);
      return next(target ? join(ROOT, target) : specifier, context);
    },
  });
}
