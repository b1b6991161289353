// Prints the mutation score per file from docs/mutation/<module>.json (Stryker's JSON report), as
// Markdown rows, and lists the mutants not killed: `node stryker/summary.mjs [module...]`.
import { readdirSync, readFileSync } from 'node:fs';

const dir = new URL('../docs/mutation/', import.meta.url);
const names = process.argv.slice(2).length ? process.argv.slice(2) : readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
const detected = new Set(['Killed', 'Timeout']);
const counted = new Set(['Killed', 'Timeout', 'Survived', 'NoCoverage']);
console.log('| module | file | score (killed+timeout / valid) | killed | timeout | survived | no coverage |\n|---|---|---|---|---|---|---|');
const open = [];
for (const name of names) {
  const report = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8'));
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const n = (s) => mutants.filter((m) => m.status === s).length;
    const valid = mutants.filter((m) => counted.has(m.status)).length;
    const score = valid ? ((100 * mutants.filter((m) => detected.has(m.status)).length) / valid).toFixed(1) : '-';
    console.log(`| ${name} | ${file.replace(/^.*?(apps|libs|deploy)\//, '$1/')} | ${score}% | ${n('Killed')} | ${n('Timeout')} | ${n('Survived')} | ${n('NoCoverage')} |`);
    for (const m of mutants) if (m.status === 'Survived' || m.status === 'NoCoverage') open.push(`${m.status} ${file.split('/').pop()}:${m.location.start.line} ${m.mutatorName} -> ${String(m.replacement).replace(/\s+/g, ' ').slice(0, 80)}`);
  }
}
if (process.env.LIST) console.log(`\n${open.join('\n')}`);
