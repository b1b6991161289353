// kubernetes-models 5 and @kubernetes-models/* 2 are ES modules whose `exports` name only the
// `import` condition. This project compiles to CommonJS, and a CommonJS `require` resolves with the
// `require` condition, so Node refuses those subpaths (ERR_PACKAGE_PATH_NOT_EXPORTED) before Node
// 24's require(esm) could load them. This resolve hook adds `import` for those packages only (every
// other package keeps its CommonJS build); imported first by each file that imports a model class,
// so `npm run synth`, `deploy:eks`, `release` and `cutover` need no flag. Under Vitest the files are
// ES modules and Node resolves those packages with `import` anyway; the hook is then a no-op there.
import { registerHooks } from 'node:module';

const MODELS = /^(kubernetes-models|@kubernetes-models\/[^/]+)(\/|$)/;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (!MODELS.test(specifier) || context.conditions.includes('import')) return nextResolve(specifier, context);
    return nextResolve(specifier, { ...context, conditions: [...context.conditions, 'import'] });
  },
});
