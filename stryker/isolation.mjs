// node stryker/isolation.mjs <module...>: runs every case of a module's suites ALONE, as Stryker's
// perTest coverage does (it runs only the cases that reach a mutant). A case that passes in its
// suite but fails alone leans on an earlier case; under Stryker it fails for every mutant it covers,
// slowly, and those mutants are reported "timed out" (detected) though the tests caught nothing.
// Needs what the suites need (DATABASE_URL, REDIS_URL). Exit 1 when any case fails alone.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MODULES } from './modules.mjs';

const names = process.argv.slice(2);
if (names.length === 0 || names[0] === '--help') {
  console.log(`usage: node stryker/isolation.mjs <${Object.keys(MODULES).join('|')}>...`);
  process.exit(names.length === 0 ? 1 : 0);
}
const unknown = names.filter((n) => !MODULES[n]);
if (unknown.length) {
  console.error(`unknown module(s): ${unknown.join(', ')}; one of ${Object.keys(MODULES).join(', ')}`);
  process.exit(1);
}

const files = [...new Set(names.flatMap((n) => MODULES[n].tests.map((t) => t.replace('<rootDir>/', ''))))];
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// The case names as written: it('...') with one kind of quote and no interpolation.
const casesOf = (file) => [...readFileSync(file, 'utf8').matchAll(/\bit\(\s*(['"])((?:\\.|(?!\1).)*)\1/g)].map((m) => m[2].replace(/\\(.)/g, '$1'));

const failed = [];
for (const file of files) {
  for (const name of casesOf(file)) {
    const started = Date.now();
    const run = spawnSync('npx', ['jest', file, '--testNamePattern', `${escape(name)}$`], { encoding: 'utf8', env: process.env });
    const out = `${run.stdout}${run.stderr}`;
    const ran = /Tests:.*?(\d+) passed/.exec(out);
    const ok = run.status === 0 && ran !== null;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s  ${file} :: ${name}`);
    if (!ok) failed.push(`${file} :: ${name}\n${out.split('\n').filter((l) => l.includes('●') || l.includes('Error')).slice(0, 6).join('\n')}`);
  }
}
if (failed.length) {
  console.error(`\n${failed.length} case(s) fail when run alone:\n\n${failed.join('\n\n')}`);
  process.exit(1);
}
console.log(`every case of ${files.join(', ')} passes alone`);
