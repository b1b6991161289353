// ESLint (flat config) for the TypeScript of the repository: `npm run lint`, also in .ci/run.
// The import boundaries are errors: apps reach libs/queue only through its port, deploy/ never
// reaches into apps/ (issue #36 item 6), apps and libs never into deploy/. Test: test/lint/boundaries.spec.ts.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const TS = ['**/*.ts'];

// The queue drivers' own files: libs/queue/src/sqs/..., libs/queue/src/bullmq/..., by a relative
// path or by the @spillway/queue alias. `libs/queue/src/drivers` (the driver classes, for code
// that picks one itself) and the index (the port) stay open.
const DRIVER_FILES = '^\\.\\.?/(.*/)?libs/queue/src/(sqs|bullmq)(/|$)|^@spillway/queue/(sqs|bullmq)(/|$)';
const driverFiles = (except = '') => ({
  regex: except ? `^(?!.*(${except})$).*(${DRIVER_FILES})` : DRIVER_FILES,
  message: "apps use libs/queue's port (`@spillway/queue`), never a driver's files: a driver's internals are libs/queue's own.",
});
const APPS = {
  // Relative paths only: packages may have an `apps/` of their own (kubernetes-models/apps/v1).
  regex: '^\\.\\.?/(.*/)?apps/',
  message: 'deploy/ never imports apps/: what both need belongs in libs/ (the runtime and the definition then read one module).',
};
const DEPLOY = {
  // Relative paths only, as APPS.
  regex: '^\\.\\.?/(.*/)?deploy/',
  message: 'apps and libs never import deploy/: the definition reaches them rendered (deploy/rendered/targets.json, the env synth writes), never as code.',
};

// Recommended rules warn for now: they came with this config and the code predates them (a
// first run found about 20 findings, listed by `npx eslint .`); the boundaries below are the
// errors `npm run lint` fails on. Turning a rule to `error` is the next step once its findings are fixed.
const asWarnings = (config) => ({
  ...config,
  files: TS,
  rules: Object.fromEntries(
    Object.entries(config.rules ?? {}).map(([name, level]) => {
      const [severity, ...options] = Array.isArray(level) ? level : [level];
      return [name, severity === 'off' || severity === 0 ? 'off' : ['warn', ...options]];
    }),
  ),
});

export default defineConfig(
  {
    // Generated, installed or copied files, and the plain-JS helpers (stryker configs,
    // test fixtures run as they are): the rules here are for the TypeScript.
    ignores: ['dist/', 'node_modules/', '.stryker-tmp/', 'cdk.out/', '**/rendered/', 'bench/results/', 'docs/', '.dev-data/', '**/*.js', '**/*.mjs', '**/*.cjs'],
  },
  asWarnings(js.configs.recommended),
  ...tseslint.configs.recommended.map(asWarnings),
  {
    files: TS,
    rules: {
      // `_` names a value kept for its position (a skipped tuple member, a callback's unused argument).
      '@typescript-eslint/no-unused-vars': ['warn', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['apps/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [driverFiles(), DEPLOY] }] },
  },
  {
    files: ['libs/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [DEPLOY] }] },
  },
  {
    files: ['deploy/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [APPS] }] },
  },
);
