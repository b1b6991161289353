import type { Readiness, Report } from './lane-report';
import { inS3Text } from './letter-filter';

const num = (v: number | null, digits = 1) => (v === null ? 'n/a' : v.toFixed(digits));
const age = (s: number | null) => (s === null ? 'n/a' : s < 120 ? `${s.toFixed(1)}s` : s < 7200 ? `${(s / 60).toFixed(1)}m` : `${(s / 3600).toFixed(1)}h`);

function side(name: string, r: Readiness | undefined, flag: string): string {
  if (!r) return `${name}: not checked (give ${flag})`;
  return `${name}: ${r.ready ? 'ready' : 'NOT READY'} (${r.detail}) ${r.url}`;
}

/** The report as a terminal table; `npm run status` prints this, `--json` prints the object. */
export function reportText(r: Report): string {
  const rows = [['lane', 'waiting', 'delayed', 'active', 'oldest', 'in/s', 'out/s', 'dead']];
  for (const l of r.lanes) {
    rows.push([l.lane, String(l.depth.waiting), String(l.depth.delayed), String(l.depth.active), age(l.oldestAgeSeconds), num(l.inPerSecond), num(l.outPerSecond), String(l.depth.deadLettered)]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const lines = [`spillway status (driver ${r.driver}, ${r.at})`, ''];
  for (const row of rows) lines.push(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  const letters = r.lanes.flatMap((l) => l.deadLetters.map((d) => ({ lane: l.lane, ...d })));
  lines.push('', letters.length ? 'dead letters:' : 'dead letters: none');
  for (const d of letters) {
    lines.push(`  ${d.lane}  ${d.id}  ${d.eventsInS3 ? inS3Text(d.eventsInS3) : `${d.events} event(s)`}  ${d.attempts} attempts  ${d.failedAt}  ${d.lastError.split('\n')[0].slice(0, 160)}`);
  }
  lines.push('', 'traffic weights: ' + ('error' in r.traffic ? r.traffic.error : `hetzner ${r.traffic.hetzner}, eks ${r.traffic.eks}`));
  lines.push(side('hetzner', r.readiness.hetzner, '--hetzner-url'), side('eks', r.readiness.eks, '--eks-url'));
  if (r.problems.length) lines.push('', ...r.problems.map((p) => `note: ${p}`));
  return `${lines.join('\n')}\n`;
}
