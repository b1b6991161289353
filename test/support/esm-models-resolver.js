// jest resolver: kubernetes-models 5 and @kubernetes-models/* 2 name only the `import` condition in
// their `exports`, which a CommonJS require never matches. Add it for those packages only (adding it
// for every package would load other dual packages' ESM builds); jest.config.js has swc compile them,
// and the ESM-only packages they load, to CommonJS. deploy/eks/esm-models.ts does the same outside jest.
const MODELS = /^(kubernetes-models|@kubernetes-models\/[^/]+)(\/|$)/;

module.exports = (request, options) => {
  if (!MODELS.test(request) || options.conditions?.includes('import')) return options.defaultResolver(request, options);
  return options.defaultResolver(request, { ...options, conditions: [...(options.conditions ?? []), 'import'] });
};
