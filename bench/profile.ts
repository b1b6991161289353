import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Who owns a frame: a package under node_modules, Spillway's own build, Node itself, or V8. */
function owner(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /dist\/((?:apps|libs)\/[^/]+)/.exec(url);
  return own ? `spillway ${own[1]}` : url;
}

function location(frame: ProfileNode['callFrame']): string {
  const file = frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/');
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
}

function top(map: Map<string, number>, total: number, n: number): string[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => `| ${name} | ${((us / total) * 100).toFixed(1)}% |`);
}

/**
 * Self time by owner and by function, plus the share of samples that have a given owner anywhere
 * on the stack ("inclusive": what that layer costs, callees included).
 */
export function summarizeProfile(path: string, window: [number, number], topN = 25): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfByOwner = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusiveByOwner = new Map<string, number>();
  let total = 0;
  let busy = 0;
  // Only the measured window: start-up (module loading, Nest's scan) is not the hot path.
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    const node = byId.get(id);
    if (!node || at < window[0] || at > window[1]) return;
    total += us;
    const who = owner(node.callFrame);
    selfByOwner.set(who, (selfByOwner.get(who) ?? 0) + us);
    if (who === '(idle)') return;
    busy += us;
    const where = location(node.callFrame);
    selfByFunction.set(where, (selfByFunction.get(where) ?? 0) + us);
    const seen = new Set<string>();
    for (let up: number | undefined = id; up !== undefined; up = parent.get(up)) seen.add(owner(byId.get(up)!.callFrame));
    for (const s of seen) inclusiveByOwner.set(s, (inclusiveByOwner.get(s) ?? 0) + us);
  });
  return [
    `Profile ${basename(path)}, measured window only: ${(total / 1e6).toFixed(1)} s sampled, ${((busy / total) * 100).toFixed(0)}% busy (not idle).`,
    '',
    '| self time by owner | share of all samples |',
    '|---|---:|',
    ...top(selfByOwner, total, 15),
    '',
    '| owner anywhere on the stack (inclusive) | share of busy samples |',
    '|---|---:|',
    ...top(inclusiveByOwner, busy, 15),
    '',
    '| function (self) | share of busy samples |',
    '|---|---:|',
    ...top(selfByFunction, busy, topN),
    '',
  ].join('\n');
}
