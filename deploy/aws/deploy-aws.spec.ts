// npm run deploy:aws with a fake runner: the stacks in order, what --dry-run prints, and the
// one-line refusals without credentials.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runner } from '../command-runner';
import { spillway } from '../spillway';
import { leftoverFiles } from '../synth';
import { buildAwsApp } from './app';
import { deployAws, edgeDeployCommand, hasAwsCredentials, stackNames } from './deploy-aws';

function fake(): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  return { calls, run: (cmd, args) => (calls.push([cmd, ...args].join(' ')), { status: 0, stdout: '', stderr: '' }) };
}
const noSynth = () => 0;
const ORDER = ['network', 'cluster', 'data', 'queues', 'access', 'registry', 'backups', 'edge', 'billing', 'alarms', 'chaos', 'ci'].map((s) => `spillway-${s}`);

describe('deploy:aws', () => {
  it('deploys every stack in order from the committed assembly, writing the outputs file', () => {
    const { run, calls } = fake();
    const lines: string[] = [];
    expect(deployAws([], run, (l) => lines.push(l), noSynth, () => true)).toBe(0);
    expect(stackNames(spillway)).toEqual(ORDER);
    const withCache = { ...spillway, aws: { ...spillway.aws, cache: { nodeType: 'cache.t4g.small' } } };
    expect(buildAwsApp(withCache).stacks.map((s) => s.stackName)).toEqual(stackNames(withCache));
    expect(calls).toEqual([`npx cdk deploy ${ORDER.join(' ')} --require-approval never --outputs-file deploy/aws/outputs.json --app deploy/aws/rendered`]);
  });

  it('--dry-run lists stacks and resources; without credentials it says so and skips cdk diff', () => {
    const { run, calls } = fake();
    const lines: string[] = [];
    expect(deployAws(['--dry-run'], run, (l) => lines.push(l), noSynth, () => false)).toBe(0);
    expect(lines).toContain('  AWS::EKS::Nodegroup Nodes');
    expect(lines.find((l) => l.startsWith('spillway-edge ('))).toBe('spillway-edge (2 resources)');
    expect(lines.at(-1)).toBe('deploy:aws --dry-run: no AWS credentials found (AWS_PROFILE, AWS_ACCESS_KEY_ID or ~/.aws/); skipped cdk diff');
    expect(calls).toEqual([]);
  });

  it('--dry-run with credentials runs cdk diff on every stack', () => {
    const { run, calls } = fake();
    expect(deployAws(['--dry-run'], run, () => undefined, noSynth, () => true)).toBe(0);
    expect(calls).toEqual([`npx cdk diff ${ORDER.join(' ')} --app deploy/aws/rendered`]);
  });

  it('refuses to deploy without credentials, in one line, exit 1', () => {
    const { run, calls } = fake();
    const lines: string[] = [];
    expect(deployAws([], run, (l) => lines.push(l), noSynth, () => false)).toBe(1);
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

  it('cutover deploys the edge stack alone', () => {
    expect(edgeDeployCommand(spillway)).toBe('npx cdk deploy spillway-edge --exclusively --require-approval never --app deploy/aws/rendered');
  });
});

describe('synth owns deploy/aws/rendered', () => {
  it('a file it no longer renders is stale; the CDK CLI read lock is not', () => {
    const root = mkdtempSync(join(tmpdir(), 'root-'));
    mkdirSync(join(root, 'deploy/aws/rendered'), { recursive: true });
    for (const f of ['spillway-edge.template.json', 'spillway-old.template.json', 'read.123.1.lock']) writeFileSync(join(root, 'deploy/aws/rendered', f), '{}');
    expect(leftoverFiles({ 'deploy/aws/rendered/spillway-edge.template.json': '{}' }, root)).toEqual(['deploy/aws/rendered/spillway-old.template.json']);
  });
});
