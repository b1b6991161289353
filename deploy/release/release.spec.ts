import { RunOptions, RunResult } from '../command-runner';
import { spillway } from '../spillway';
import { EksRelease } from './eks-release';
import { ReleaseIo } from './hetzner-release';
import { formatRelease, parseHistory, previousRelease, Release } from './history';
import { pushedDigest } from './image';
import { pinnedImage, withImage } from './image-ref';
import { release } from './release';
import { rollback } from './rollback';

const A = `127.0.0.1:5000/spillway@sha256:${'a'.repeat(64)}`;
const B = `127.0.0.1:5000/spillway@sha256:${'b'.repeat(64)}`;
const at = '2026-11-30T00:00:00.000Z';

describe('pinned images', () => {
  it('takes <registry>/<repo>@sha256:<64 hex> and refuses a tag or a bare digest, saying why', () => {
    expect(pinnedImage(A)).toBe(A);
    expect(pinnedImage('123456789012.dkr.ecr.eu-central-1.amazonaws.com/spillway@sha256:' + '0'.repeat(64))).toMatch(/^1234/);
    expect(() => pinnedImage('spillway:latest')).toThrow('a tag can move');
    expect(() => pinnedImage(`spillway@sha256:${'a'.repeat(63)}`)).toThrow('not <registry>/<repository>@sha256:<64 hex>');
    expect(() => pinnedImage(undefined)).toThrow('--image is required');
  });

  it('one digest for every app image of both targets', () => {
    const def = withImage(spillway, A);
    expect([def.targets.eks.image, def.targets.hetzner.image]).toEqual([A, A]);
    expect(spillway.targets.eks.image).not.toBe(A);
  });

  it("reads the digest from docker push's last line", () => {
    expect(pushedDigest(`abc: Pushed\n0.1.0-x: digest: sha256:${'c'.repeat(64)} size: 1570\n`)).toBe(`sha256:${'c'.repeat(64)}`);
    expect(pushedDigest('denied: not authorized')).toBeUndefined();
  });
});

describe('release history', () => {
  const h = (...images: string[]): Release[] => images.map((image) => ({ at, how: 'deploy', image }));

  it('round-trips its lines', () => {
    const r: Release[] = [{ at, how: 'deploy', image: A }, { at, how: 'shift', image: B, slot: 'green' }];
    expect(parseHistory(r.map(formatRelease).join('\n'))).toEqual(r);
  });

  it('previous: the newest earlier release with another image; twice returns to the start', () => {
    expect(previousRelease(h(A, B))?.previous.image).toBe(A);
    expect(previousRelease(h(A, B, B))?.previous.image).toBe(A);
    expect(previousRelease(h(A, B, A))?.previous.image).toBe(B);
    expect(previousRelease(h(A))).toBeUndefined();
    expect(previousRelease([])).toBeUndefined();
  });
});

/**
 * kubectl against a cluster this machine does not have: a stand-in that keeps the two things the
 * release reads (each slot Deployment's image, the history ConfigMap) and records every call. It
 * answers `get` as kubectl does (jsonpath output, empty for --ignore-not-found).
 */
function fakeCluster(images: Record<string, string>, history = '') {
  const calls: string[] = [];
  const state = { history, images };
  const run = (cmd: string, args: string[], _o?: RunOptions): RunResult => {
    calls.push(`${cmd} ${args.join(' ')}`);
    const ok = (stdout = ''): RunResult => ({ status: 0, stdout, stderr: '' });
    if (args.includes('configmap') && args[2] === 'get') return ok(state.history);
    if (args[2] === 'get' && args[3] === 'deployment') return ok(state.images[args[4]] ?? '');
    if (args[2] === 'apply') {
      const file = require('node:fs').readFileSync(args[args.length - 1], 'utf8') as string;
      const m = /history: \|-?\n((?:\s{4}.*\n?)+)/.exec(file);
      if (m) state.history = m[1].split('\n').map((l) => l.trim()).filter(Boolean).join('\n');
      calls.push(file.includes('kind: Ingress') ? `  weights ${/"weight":(\d+)[^]*"weight":(\d+)/.exec(file.replace(/\\"/g, '"'))?.slice(1).join('/')}` : '');
    }
    return ok();
  };
  const log: string[] = [];
  const io: ReleaseIo = { run, log: (l) => log.push(l), env: {}, now: () => new Date(at), sleep: () => undefined };
  return { io, calls, state, log };
}

describe('EKS: idle slot, shift, rollback', () => {
  it('deploys to the slot without traffic and leaves the weights on the live one', () => {
    const c = fakeCluster({ 'absorber-blue': A });
    const slot = new EksRelease(spillway, c.io, false).deploy(B);
    expect(slot).toBe('green');
    const applied = c.calls.find((l) => l.includes('apply'))!;
    expect(applied).toContain('--server-side');
    expect(c.calls).toContain('kubectl -n spillway rollout status deployment/absorber-green --timeout=300s');
    expect(c.calls).toContain('kubectl -n spillway get --raw /api/v1/namespaces/spillway/services/absorber-green:http/proxy/health/ready');
    expect(c.calls).toContain('  weights 100/0');
  });

  it('shift records what served before it; rollback gives the weight back; a slot that moved on is refused', () => {
    const c = fakeCluster({ 'absorber-blue': A, 'absorber-green': B });
    new EksRelease(spillway, c.io, false).shift();
    expect(parseHistory(c.state.history).map((r) => `${r.how} ${r.slot} ${r.image}`)).toEqual([`deploy blue ${A}`, `shift green ${B}`]);
    expect(c.calls).toContain('  weights 0/100');
    new EksRelease(spillway, c.io, false).rollback();
    expect(c.calls.filter((l) => l.startsWith('  weights')).at(-1)).toBe('  weights 100/0');
    expect(parseHistory(c.state.history).at(-1)).toMatchObject({ how: 'rollback', slot: 'blue', image: A });

    const moved = fakeCluster({ 'absorber-blue': B, 'absorber-green': B }, [`${at}\tdeploy\t${A}\tblue`, `${at}\tshift\t${B}\tgreen`].join('\n'));
    expect(() => new EksRelease(spillway, moved.io, false).rollback()).toThrow(`slot blue now runs ${B}, not ${A}`);
  });
});

describe('the commands', () => {
  const quiet = (): ReleaseIo & { lines: string[] } => {
    const lines: string[] = [];
    return { lines, run: () => ({ status: 1, stdout: '', stderr: 'no' }), log: (l) => lines.push(l), env: { SPILLWAY_RELEASE_LOG: '/nonexistent/releases.log' }, now: () => new Date(at), sleep: () => undefined };
  };

  it('name what is wrong: the target, a tag, an unknown option; rollback with no history', () => {
    let io = quiet();
    expect(release(['--image', A], io)).toBe(2);
    expect(io.lines[0]).toMatch(/--target eks or --target hetzner is required/);
    io = quiet();
    expect(release(['--target', 'hetzner', '--image', 'spillway:1.0'], io)).toBe(2);
    expect(io.lines[0]).toMatch(/a tag can move/);
    io = quiet();
    expect(rollback(['--target', 'hetzner', '--force'], io)).toBe(2);
    expect(io.lines[0]).toBe('rollback: unknown option --force; see --help');
    io = quiet();
    expect(rollback(['--target', 'hetzner'], io)).toBe(1);
    expect(io.lines[0]).toMatch(/has no earlier release to return to/);
    io = quiet();
    expect(release(['--help'], io)).toBe(0);
    expect(io.lines[0]).toMatch(/^Usage: npm run release/);
  });

  it('--dry-run prints the plan and runs nothing', () => {
    const io = quiet();
    expect(release(['--target', 'hetzner', '--image', A, '--dry-run'], io)).toBe(0);
    expect(io.lines.join('\n')).toContain(`SPILLWAY_IMAGE=${A} docker compose -f docker-compose.yml up -d --no-build migrate absorber worker`);
  });
});
