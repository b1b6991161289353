// npm run deploy:aws with a fake runner: the stacks in order, what --dry-run prints, and the
// one-line refusals without credentials.
import { cpSync, existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runner } from '../command-runner';
import { spillway as definition } from '../spillway';
import { eksDefinition } from '../model/targets';
import { leftoverFiles } from '../synth';
import { AWS_RENDERED, buildAwsApp, stageAwsAssets } from './app';
import { ROOT } from '../outputs';
import { deployAws, hasAwsCredentials, stackNames } from './deploy-aws';

const spillway = eksDefinition(definition);

function fake(): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  return { calls, run: (cmd, args) => (calls.push([cmd, ...args].join(' ')), { status: 0, stdout: '', stderr: '' }) };
}
const noSynth = () => 0;
const noStage = () => ['asset.0123'];
const ORDER = ['network', 'cluster', 'data', 'queues', 'access', 'workers', 'registry', 'backups', 'edge', 'billing', 'alarms', 'chaos', 'ci', 'move-path'].map((s) => `spillway-${s}`);

describe('deploy:aws', () => {
  it('deploys every stack in order from the committed assembly, writing the outputs file', () => {
    const { run, calls } = fake();
    const lines: string[] = [];
    expect(deployAws([], run, (l) => lines.push(l), noSynth, () => true, noStage)).toBe(0);
    expect(lines[0]).toBe('deploy:aws: staged deploy/aws/rendered/asset.0123');
    expect(stackNames(spillway)).toEqual(ORDER);
    const withCache = { ...spillway, target: { ...spillway.target, broker: { kind: 'bullmq' as const, redis: { elasticache: { nodeType: 'cache.t4g.small' } } } } };
    expect(buildAwsApp(withCache).stacks.map((s) => s.stackName)).toEqual(stackNames(withCache));
    expect(stackNames(withCache)).toContain('spillway-cache');
    // Another EKS target's app: its own stacks only, the definition-wide ones stay with the primary target.
    expect(buildAwsApp(spillway, undefined, { definitionWide: false }).stacks.map((s) => s.stackName)).toEqual(stackNames(spillway, false));
    expect(calls).toEqual([`npx cdk deploy ${ORDER.join(' ')} --require-approval never --outputs-file deploy/aws/outputs.json --app deploy/aws/rendered`]);
  });

  it('--dry-run lists stacks and resources; without credentials it says so and skips cdk diff', () => {
    const { run, calls } = fake();
    const lines: string[] = [];
    expect(deployAws(['--dry-run'], run, (l) => lines.push(l), noSynth, () => false, noStage)).toBe(0);
    expect(lines).toContain('  AWS::EKS::Nodegroup Nodes');
    expect(lines.find((l) => l.startsWith('spillway-edge ('))).toBe('spillway-edge (1 resources)');
    expect(lines.at(-1)).toBe('deploy:aws --dry-run: no AWS credentials found (AWS_PROFILE, AWS_ACCESS_KEY_ID or ~/.aws/); skipped cdk diff');
    expect(calls).toEqual([]);
  });

  it('--dry-run with credentials runs cdk diff on every stack', () => {
    const { run, calls } = fake();
    expect(deployAws(['--dry-run'], run, () => undefined, noSynth, () => true, noStage)).toBe(0);
    expect(calls).toEqual([`npx cdk diff ${ORDER.join(' ')} --app deploy/aws/rendered`]);
  });

  it('refuses to deploy without credentials, in one line, exit 1', () => {
    const { run, calls } = fake();
    const lines: string[] = [];
    expect(deployAws([], run, (l) => lines.push(l), noSynth, () => false, noStage)).toBe(1);
    expect(lines).toEqual(['deploy:aws: no AWS credentials found; set AWS_PROFILE (or run `aws configure sso`) and run again']);
    expect(calls).toEqual([]);
  });

  it('finds credentials in the environment or ~/.aws, and none in an empty home', () => {
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    expect(hasAwsCredentials({}, home)).toBe(false);
    expect(hasAwsCredentials({ AWS_PROFILE: 'prod' }, home)).toBe(true);
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws/config'), '[default]\n');
    expect(hasAwsCredentials({}, home)).toBe(true);
  });

  it('stops before the CLI when the assembly names a bundle this checkout does not build', () => {
    const { run, calls } = fake();
    const lines: string[] = [];
    const stale = () => {
      throw new Error('deploy/aws/rendered names assets this checkout does not build (asset.dead): run `npm run synth` and commit');
    };
    expect(deployAws([], run, (l) => lines.push(l), noSynth, () => true, stale)).toBe(1);
    expect(lines).toEqual(['deploy:aws: deploy/aws/rendered names assets this checkout does not build (asset.dead): run `npm run synth` and commit']);
    expect(calls).toEqual([]);
  });
});

describe('the Lambda bundle in the assembly', () => {
  /** A scratch root holding a copy of the committed asset manifests. */
  function scratchRoot(): string {
    const root = mkdtempSync(join(tmpdir(), 'root-'));
    mkdirSync(join(root, AWS_RENDERED), { recursive: true });
    for (const f of readdirSync(join(ROOT, AWS_RENDERED)).filter((f) => f.endsWith('.assets.json'))) cpSync(join(ROOT, AWS_RENDERED, f), join(root, AWS_RENDERED, f));
    return root;
  }

  it('is staged as the asset directory the committed manifests name, with index.js', () => {
    const root = scratchRoot();
    const named = JSON.parse(readFileSync(join(root, AWS_RENDERED, 'spillway-workers.assets.json'), 'utf8')).files;
    const dirs = Object.values(named as Record<string, { source: { path: string; packaging: string } }>).filter((a) => a.source.packaging === 'zip').map((a) => a.source.path);
    expect(stageAwsAssets(spillway, root)).toEqual(dirs);
    expect(existsSync(join(root, AWS_RENDERED, dirs[0], 'index.js'))).toBe(true);
  });

  it('refuses a manifest naming a bundle this checkout does not build', () => {
    const root = scratchRoot();
    const file = join(root, AWS_RENDERED, 'spillway-workers.assets.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/asset\.[0-9a-f]{64}/, 'asset.dead'));
    expect(() => stageAwsAssets(spillway, root)).toThrow('deploy/aws/rendered names assets this checkout does not build (asset.dead): run `npm run synth` and commit');
  });
});

describe('synth owns deploy/aws/rendered', () => {
  it('a file it no longer renders is stale; the CDK CLI read lock and a staged bundle are not', () => {
    const root = mkdtempSync(join(tmpdir(), 'root-'));
    mkdirSync(join(root, 'deploy/aws/rendered'), { recursive: true });
    for (const f of ['spillway-edge.template.json', 'spillway-old.template.json', 'read.123.1.lock']) writeFileSync(join(root, 'deploy/aws/rendered', f), '{}');
    // deploy:aws stages the Lambda bundle there, git-ignored: not a leftover either.
    mkdirSync(join(root, 'deploy/aws/rendered/asset.0123'));
    expect(leftoverFiles({ 'deploy/aws/rendered/spillway-edge.template.json': '{}' }, root)).toEqual(['deploy/aws/rendered/spillway-old.template.json']);
  });
});
