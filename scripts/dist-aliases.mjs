// tsc type-checks `@spillway/<lib>` imports through tsconfig's `paths` but emits them as written,
// and node knows no such package. Run after tsc (`npm run build`, the image's build stage): every
// `require("@spillway/...")` in the given build folder becomes the relative path of the compiled
// lib, so `node dist/...` needs no resolver at run time. Idempotent; fails naming a file whose
// alias has no compiled target.
//   node scripts/dist-aliases.mjs [dist]
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';

const { resolveAlias } = createRequire(import.meta.url)('./path-aliases.cjs');
const dist = resolve(process.argv[2] ?? 'dist');
const REQUIRE = /require\((["'])(@spillway\/[^"']+)\1\)/g;

function* jsFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* jsFiles(path);
    else if (entry.name.endsWith('.js')) yield path;
  }
}

const built = (path) => existsSync(`${path}.js`) || (existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'index.js')));
const problems = [];
let rewritten = 0;
for (const file of jsFiles(dist)) {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(REQUIRE, (call, quote, specifier) => {
    const target = resolveAlias(specifier);
    const path = target && join(dist, target);
    if (!path || !built(path)) {
      problems.push(`${relative(process.cwd(), file)}: ${specifier} has no compiled target in ${relative(process.cwd(), dist) || '.'}`);
      return call;
    }
    let rel = relative(dirname(file), path).split(sep).join('/');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    return `require(${quote}${rel}${quote})`;
  });
  if (next !== text) {
    writeFileSync(file, next);
    rewritten++;
  }
}
if (problems.length) {
  process.stderr.write(`dist-aliases: ${problems.join('\n  ')}\n`);
  process.exit(1);
}
if (process.env.DIST_ALIASES_VERBOSE) process.stdout.write(`dist-aliases: ${rewritten} files rewritten in ${dist}\n`);
