// node stryker/isolation.mjs <module...>: runs every case of a module's suites ALONE, as Stryker's
// perTest coverage does (it runs only the cases that reach a mutant). A case that passes in its
// suite but fails alone leans on an earlier case; under Stryker it fails for every mutant it covers,
// slowly, and those mutants are reported "timed out" (detected) though the tests caught nothing.
// Needs what the suites need (DATABASE_URL, REDIS_URL). Exit 1 when any case fails alone.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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

const files = [...new Set(names.flatMap((n) => MODULES[n].tests))];
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// The case names as written: it('...') or the contract's when(...)('...'), one kind of quote, no
// interpolation. A suite that only calls a shared one (the driver contract) has its cases in the
// files it imports.
const namesIn = (source) => [...source.matchAll(/(?:\bit|\bwhen\([^\n]*?\))\(\s*(['"])((?:\\.|(?!\1).)*)\1/g)].map((m) => m[2].replace(/\\(.)/g, '$1'));
const casesOf = (file) => {
  const source = readFileSync(file, 'utf8');
  const own = namesIn(source);
  if (own.length) return own;
  const imported = [...source.matchAll(/from '(\.\.?\/[^']+)'/g)].map((m) => resolve(dirname(file), `${m[1]}.ts`)).filter(existsSync);
  return imported.flatMap((f) => namesIn(readFileSync(f, 'utf8')));
};

const failed = [];
for (const file of files) {
  const cases = casesOf(file);
  if (cases.length === 0) {
    console.log(`FAIL       ${file}: no case names found (it.each or computed names?), so not checked`);
    failed.push(`${file}: no case names found`);
  }
  for (const name of cases) {
    const started = Date.now();
    // Vitest filters files by a part of their path: each listed path names one file.
    const run = spawnSync('npx', ['vitest', 'run', file, '--testNamePattern', `${escape(name)}$`], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const out = `${run.stdout}${run.stderr}`;
    const ok = run.status === 0;
    // Nothing passed and nothing failed: the case is skipped (a contract case that does not apply).
    const label = !ok ? 'FAIL' : /Tests\s.*?\d+ passed/.test(out) ? 'ok  ' : 'skip';
    console.log(`${label} ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s  ${file} :: ${name}`);
    if (!ok) failed.push(`${file} :: ${name}\n${out.split('\n').filter((l) => l.includes('FAIL') || l.includes('Error') || l.includes('timed out in')).slice(0, 6).join('\n')}`);
  }
}
if (failed.length) {
  console.error(`\n${failed.length} case(s) fail when run alone:\n\n${failed.join('\n\n')}`);
  process.exit(1);
}
console.log(`every case of ${files.join(', ')} passes alone`);
