// The worker's Lambda function code, bundled offline: `bundleWorkerLambda(outDir)` writes
// `<outDir>/index.js` (handler `index.handler`, Node 24, CommonJS, minified, no source map), for
// the CDK asset; `npm run bundle:lambda -- [outDir]` does the same and prints the size.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'esbuild';

const ROOT = resolve(__dirname, '..', '..');
export const WORKER_LAMBDA_ENTRY = 'apps/worker/src/lambda/handler.ts';
export const WORKER_LAMBDA_HANDLER = 'index.handler';
export const WORKER_LAMBDA_DEFAULT_OUT = 'dist/lambda/worker';

/**
 * Left out of the bundle because nothing in the function can load them: optional peers that Nest
 * and TypeORM require only when asked for (not installed here, so they could not be bundled), and
 * the BullMQ driver's clients (the function refuses QUEUE_DRIVER other than sqs, and TypeORM's
 * Redis cache is not used). The AWS SDK v3 is bundled, not taken from the Lambda runtime: the
 * function then runs the SDK version the tests ran, not whichever one the runtime ships that week.
 */
export const WORKER_BUNDLE_EXTERNALS = [
  // Nest: transports, gateways, HTTP adapters and validation the worker does not use.
  '@nestjs/microservices',
  '@nestjs/websockets',
  '@nestjs/platform-express',
  'class-transformer',
  'class-validator',
  // TypeORM: every driver but Postgres, and its optional extras.
  '@google-cloud/spanner',
  '@sap/hana-client',
  'better-sqlite3',
  'hdb-pool',
  'mongodb',
  'mssql',
  'mysql',
  'mysql2',
  'oracledb',
  'pg-query-stream',
  'react-native-sqlite-storage',
  'redis',
  'sql.js',
  'sqlite3',
  'typeorm-aurora-data-api-driver',
  // node-postgres' native binding, loaded only with `pg.native`.
  'pg-native',
  // BullMQ and its Redis client.
  'bullmq',
  'ioredis',
];

/**
 * esbuild strips types but does not emit decorator metadata (`design:paramtypes`), which Nest's
 * dependency injection reads; so every TypeScript file is compiled by swc, as the tests (Vitest)
 * and `npm run synth` do, then bundled as JavaScript.
 */
function decoratorMetadata(): Plugin {
  return {
    name: 'swc-decorator-metadata',
    setup(build) {
      // Loaded here, in the bundling process only: the CDK app never loads swc or esbuild itself.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { transformSync } = require('@swc/core') as typeof import('@swc/core');
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        const { code } = transformSync(readFileSync(args.path, 'utf8'), {
          filename: relative(ROOT, args.path),
          swcrc: false,
          configFile: false,
          sourceMaps: false,
          jsc: {
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true },
            target: 'es2022',
            keepClassNames: true,
          },
          // CommonJS, as tsc emits: metadata names a constructor parameter's type even when it is
          // an interface (no runtime export), which an ES import would refuse to bundle.
          module: { type: 'commonjs' },
        });
        return { contents: code, loader: 'js' };
      });
    },
  };
}

async function build(outDir: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    // Paths in the bundle are relative to the repository, so the output (and the CDK asset hash
    // taken of it) is the same in any checkout.
    absWorkingDir: ROOT,
    entryPoints: [WORKER_LAMBDA_ENTRY],
    outfile: join(outDir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    // Nest and TypeORM read class names (module tokens, migration names, log contexts).
    keepNames: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'error',
    external: WORKER_BUNDLE_EXTERNALS,
    // NestJS 12 ships ES modules that call `createRequire(import.meta.url)`; in CommonJS output
    // esbuild leaves `import.meta` empty (createRequire(undefined) throws at load), so it stands
    // for the bundle file's own URL here.
    define: { 'import.meta.url': 'spillwayBundleUrl', 'import.meta.dirname': '__dirname' },
    banner: { js: 'var spillwayBundleUrl=require("url").pathToFileURL(__filename).href;' },
    plugins: [decoratorMetadata()],
  });
}

/**
 * Synchronous, for CDK's local bundling hook (`tryBundle`): esbuild's plugins need its async API,
 * so the build runs in a child Node process and this waits for it.
 */
export function bundleWorkerLambda(outDir: string): void {
  const result = spawnSync(process.execPath, ['-r', '@swc-node/register', __filename, '--build', resolve(outDir)], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`bundling the worker Lambda into ${outDir} failed (exit ${result.status}):\n${result.stderr}`);
}

/** Bytes of the bundle as written and gzipped (a zip's deflate is close to gzip's). */
export function bundleSize(outDir: string): { bytes: number; gzipBytes: number } {
  const code = readFileSync(join(outDir, 'index.js'));
  return { bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

if (require.main === module) {
  const [flag, dir] = process.argv.slice(2);
  const done =
    flag === '--build'
      ? build(dir)
      : Promise.resolve().then(() => {
          const outDir = resolve(ROOT, flag ?? WORKER_LAMBDA_DEFAULT_OUT);
          bundleWorkerLambda(outDir);
          const { bytes, gzipBytes } = bundleSize(outDir);
          process.stdout.write(`${relative(ROOT, join(outDir, 'index.js'))}: ${bytes} bytes, ${gzipBytes} gzipped (handler ${WORKER_LAMBDA_HANDLER})\n`);
        });
  done.catch((err) => {
    process.stderr.write(`bundle:lambda: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
