import { RunOptions, RunResult } from '../command-runner';
import { spillway } from '../spillway';
import { EksRelease } from './eks-release';
import { ReleaseIo } from './hetzner-release';
import { formatRelease, parseHistory, previousRelease, Release } from './history';
import { pushedDigest } from './image';
import { pinnedImage, withImage } from './image-ref';
import { promote } from './promote';
import { kubernetesGroup, resourceOf } from './rbac';
import { manifestObjects } from '../eks/chart';
import { release } from './release';
import { rollback } from './rollback';
import { eksDefinition, targetOf } from '../model/targets';

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
    expect([targetOf(def, 'eks', 'eks').image, targetOf(def, 'hetzner', 'compose').image]).toEqual([A, A]);
    expect(targetOf(spillway, 'eks', 'eks').image).not.toBe(A);
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
  const kinds: string[] = [];
  const applied: string[] = [];
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
      kinds.push(...[...file.matchAll(/^kind: (\w+)$/gm)].map((k) => k[1]));
      applied.push(...[...file.matchAll(/^apiVersion: (\S+)\n(?:[^-].*\n)*?kind: (\w+)$/gm)].map((k) => `${k[1].includes('/') ? k[1].split('/')[0] : ''}/${resourceOf(k[2])}`));
      calls.push(file.includes('kind: Ingress') ? `  weights ${/"weight":(\d+)[^]*"weight":(\d+)/.exec(file.replace(/\\"/g, '"'))?.slice(1).join('/')}` : '');
    }
    return ok();
  };
  const log: string[] = [];
  const io: ReleaseIo = { run, log: (l) => log.push(l), env: {}, now: () => new Date(at), sleep: () => undefined };
  return { io, calls, state, log, kinds, applied };
}

describe('EKS: idle slot, shift, rollback', () => {
  it('deploys to the slot without traffic and leaves the weights alone (the Ingress is the shift\'s)', () => {
    const c = fakeCluster({ 'absorber-blue': A });
    const slot = new EksRelease(eksDefinition(spillway), c.io, false).deploy(B);
    expect(slot).toBe('green');
    const applied = c.calls.find((l) => l.includes('apply'))!;
    expect(applied).toContain('--server-side');
    expect(c.calls).toContain('kubectl -n spillway rollout status deployment/absorber-green --timeout=300s');
    expect(c.calls).toContain('kubectl -n spillway get --raw /api/v1/namespaces/spillway/services/absorber-green:http/proxy/health/ready');
    expect(c.calls.filter((l) => l.startsWith('  weights'))).toEqual([]);
    // Neither the Namespace nor the release's own RBAC (an operator's, by deploy:eks) nor the Ingress.
    expect(c.kinds).not.toEqual(expect.arrayContaining(['Namespace']));
    expect(c.kinds.filter((k) => ['Namespace', 'Role', 'RoleBinding', 'Ingress'].includes(k))).toEqual([]);
    expect(c.kinds).toEqual(expect.arrayContaining(['Deployment', 'Job', 'ExternalSecret', 'ScaledObject']));
  });

  it('shift records what served before it; rollback gives the weight back; a slot that moved on is refused', () => {
    const c = fakeCluster({ 'absorber-blue': A, 'absorber-green': B });
    new EksRelease(eksDefinition(spillway), c.io, false).shift();
    expect(parseHistory(c.state.history).map((r) => `${r.how} ${r.slot} ${r.image}`)).toEqual([`deploy blue ${A}`, `shift green ${B}`]);
    expect(c.calls).toContain('  weights 0/100');
    new EksRelease(eksDefinition(spillway), c.io, false).rollback();
    expect(c.calls.filter((l) => l.startsWith('  weights')).at(-1)).toBe('  weights 100/0');
    expect(parseHistory(c.state.history).at(-1)).toMatchObject({ how: 'rollback', slot: 'blue', image: A });

    const moved = fakeCluster({ 'absorber-blue': B, 'absorber-green': B }, [`${at}\tdeploy\t${A}\tblue`, `${at}\tshift\t${B}\tgreen`].join('\n'));
    expect(() => new EksRelease(eksDefinition(spillway), moved.io, false).rollback()).toThrow(`slot blue now runs ${B}, not ${A}`);
  });
});

describe("the release's Kubernetes rights (rendered Role/RoleBinding per CI group)", () => {
  type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
  const objects = manifestObjects(eksDefinition(spillway)) as Array<{ kind: string; metadata: { name: string }; rules?: Rule[]; subjects?: unknown[]; roleRef?: { name: string } }>;
  const role = (duty: 'deploy' | 'shift') => objects.find((o) => o.kind === 'Role' && o.metadata.name === kubernetesGroup(eksDefinition(spillway), duty))!;
  const grants = (rules: Rule[], verb: string) => rules.filter((r) => r.verbs.includes(verb)).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`)));

  it("each duty's Role is bound to the group its CI role's access entry carries", () => {
    for (const duty of ['deploy', 'shift'] as const) {
      const binding = objects.find((o) => o.kind === 'RoleBinding' && o.metadata.name === kubernetesGroup(eksDefinition(spillway), duty))!;
      expect(binding.roleRef!.name).toBe(kubernetesGroup(eksDefinition(spillway), duty));
      expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: kubernetesGroup(eksDefinition(spillway), duty) }]);
    }
  });

  it('deploy: create and patch exactly the kinds a release applies (keda.sh and external-secrets.io included); no Secret, Ingress or RBAC', () => {
    const c = fakeCluster({ 'absorber-blue': A });
    new EksRelease(eksDefinition(spillway), c.io, false).deploy(B);
    const needed = [...new Set(c.applied)].sort();
    expect(needed).toEqual(expect.arrayContaining(['keda.sh/scaledobjects', 'external-secrets.io/externalsecrets', 'external-secrets.io/secretstores']));
    const rules = role('deploy').rules!;
    expect([...new Set(grants(rules, 'create'))].sort()).toEqual(needed);
    expect([...new Set(grants(rules, 'patch'))].sort()).toEqual(needed);
    const all = grants(rules, 'get').concat(grants(rules, 'list'), grants(rules, 'watch'));
    expect(all.filter((r) => /secrets$|ingresses|rbac|\*/.test(r) && !r.startsWith('external-secrets.io/'))).toEqual([]);
    expect(all.filter((r) => r === '/secrets')).toEqual([]);
  });

  it('shift: the Ingress, the history ConfigMap and the slot Deployments, by name (create of the ConfigMap aside)', () => {
    const rules = role('shift').rules!;
    expect(rules.filter((r) => !r.resourceNames).map((r) => `${r.resources}:${r.verbs}`)).toEqual(['configmaps:create']);
    expect(rules.flatMap((r) => r.resourceNames ?? []).sort()).toEqual(['absorber', 'absorber-blue', 'absorber-green', 'spillway-releases']);
    expect(rules.flatMap((r) => r.verbs).filter((v) => !['get', 'patch', 'create'].includes(v))).toEqual([]);
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

/**
 * The AWS CLI against an ECR repository this machine does not have: a stand-in that keeps its
 * images (tag -> digest and manifest) and answers batch-get-image and put-image as ECR does,
 * refusing a tag that already names another image (IMMUTABLE) with ECR's error text.
 */
function fakeEcr(images: Record<string, { digest: string; manifest: string }>) {
  const calls: string[][] = [];
  const run = (cmd: string, args: string[]): RunResult => {
    calls.push([cmd, ...args]);
    const opt = (name: string) => args[args.indexOf(name) + 1];
    if (args[1] === 'batch-get-image') {
      const tag = opt('--image-ids').replace('imageTag=', '');
      const found = images[tag];
      const body = found
        ? { images: [{ imageId: { imageDigest: found.digest, imageTag: tag }, imageManifest: found.manifest, imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }], failures: [] }
        : { images: [], failures: [{ imageId: { imageTag: tag }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }] };
      return { status: 0, stdout: JSON.stringify(body), stderr: '' };
    }
    if (args[1] === 'put-image') {
      const tag = opt('--image-tag');
      const existing = images[tag];
      if (existing && existing.digest !== opt('--image-digest')) {
        return { status: 254, stdout: '', stderr: `An error occurred (ImageTagAlreadyExistsException) when calling the PutImage operation: The image tag '${tag}' already exists in the 'spillway' repository and cannot be overwritten because the repository is immutable.` };
      }
      if (existing) return { status: 254, stdout: '', stderr: 'An error occurred (ImageAlreadyExistsException) when calling the PutImage operation: Image with digest and tag already exists' };
      images[tag] = { digest: opt('--image-digest'), manifest: opt('--image-manifest') };
      return { status: 0, stdout: '{}', stderr: '' };
    }
    return { status: 1, stdout: '', stderr: `unexpected ${args.join(' ')}` };
  };
  const out: string[] = [];
  const log: string[] = [];
  const io = { run, log: (l: string) => log.push(l), out: (l: string) => out.push(l), env: { GITHUB_SHA: 'c0ffee'.repeat(7) } };
  return { io, calls, out, log, images };
}

describe('image:promote (a tag build)', () => {
  const ecr = '123456789012.dkr.ecr.eu-central-1.amazonaws.com';
  const D = `sha256:${'d'.repeat(64)}`;
  const built = () => ({ [`0.1.0-${'c0ffee'.repeat(2)}`]: { digest: D, manifest: '{"schemaVersion":2}' } });

  it("tags the digest the branch pushed for this commit and prints it; pushes nothing", () => {
    const f = fakeEcr(built());
    expect(promote(['--registry', ecr, '--tag', 'v0.1.0'], f.io)).toBe(0);
    expect(f.out).toEqual([`${ecr}/spillway@${D}`]);
    expect(f.images['v0.1.0'].digest).toBe(D);
    expect(f.calls.map((c) => `${c[0]} ${c[1]} ${c[2]}`)).toEqual(['aws ecr batch-get-image', 'aws ecr put-image']);
    expect(f.calls[1]).toEqual(expect.arrayContaining(['--region', 'eu-central-1', '--registry-id', '123456789012', '--image-manifest', '{"schemaVersion":2}']));
    // Run again (a re-run of the job): the tag is already on that digest, which is fine.
    expect(promote(['--registry', ecr, '--tag', 'v0.1.0'], f.io)).toBe(0);
    expect(f.out).toEqual([`${ecr}/spillway@${D}`, `${ecr}/spillway@${D}`]);
  });

  it('refuses a commit the branch never pushed, a tag already on another image, and a registry that is not ECR', () => {
    let f = fakeEcr({});
    expect(promote(['--registry', ecr, '--tag', 'v0.1.0'], f.io)).toBe(1);
    expect(f.log.at(-1)).toBe(`image:promote: ${ecr}/spillway has no image 0.1.0-${'c0ffee'.repeat(2)} (ImageNotFound): a tag releases a commit the ${spillway.release.branch} branch built and pushed; push the branch first`);
    f = fakeEcr({ ...built(), 'v0.1.0': { digest: `sha256:${'e'.repeat(64)}`, manifest: '{}' } });
    expect(promote(['--registry', ecr, '--tag', 'v0.1.0'], f.io)).toBe(1);
    expect(f.log.at(-1)).toMatch(/^image:promote: tag v0.1.0 already names another image in spillway \(the repository's tags are immutable\)/);
    f = fakeEcr(built());
    expect(promote(['--registry', '127.0.0.1:5000', '--tag', 'v0.1.0'], f.io)).toBe(2);
    expect(f.log.at(-1)).toBe('image:promote: --registry 127.0.0.1:5000: an ECR registry, <account>.dkr.ecr.<region>.amazonaws.com');
    expect(promote(['--registry', ecr], f.io)).toBe(2);
    expect(f.log.at(-1)).toBe('image:promote: --tag <name> is required (the git tag, e.g. v1.2.0)');
  });
});
