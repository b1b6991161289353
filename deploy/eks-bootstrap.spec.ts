// deploy:eks --bootstrap with a fake runner (helm is not run): install order, the VPC id passed to
// the Load Balancer Controller, a failed release rolled back or uninstalled, the end report.
import { installOrder } from './aws/addons';
import { Runner, RunResult } from './command-runner';
import { deployEks } from './deploy-eks';
import { runBootstrap } from './eks-bootstrap';
import { spillway } from './spillway';
import { eksDefinition } from './model/targets';

/** Answers by command prefix (the first that matches); every call recorded. */
function fakeHelm(answers: Array<[string, Partial<RunResult>]>): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  const run: Runner = (cmd, args) => {
    const line = [cmd, ...args].join(' ');
    calls.push(line);
    const hit = answers.find(([k]) => line.startsWith(k));
    return { status: 0, stdout: '', stderr: '', ...(hit ? hit[1] : {}) };
  };
  return { run, calls };
}

const outputs = { 'spillway-cluster': { ClusterName: 'spillway-prod', VpcId: 'vpc-0abc1234' } };
const installs = (calls: string[]) => calls.filter((c) => c.startsWith('helm upgrade --install')).map((c) => c.split(' ')[3]);

describe('deploy:eks --bootstrap', () => {
  it('installs the Load Balancer Controller first, with the VPC id and region, then the rest', () => {
    const { run, calls } = fakeHelm([]);
    const lines: string[] = [];
    expect(deployEks(['--bootstrap'], run, (l) => lines.push(l), () => 0, () => outputs)).toBe(0);
    expect(installs(calls)).toEqual(['aws-load-balancer-controller', 'metrics-server', 'keda', 'external-secrets', 'cluster-autoscaler']);
    const lb = calls.find((c) => c.startsWith('helm upgrade --install aws-load-balancer-controller'))!;
    expect(lb).toContain('--set vpcId=vpc-0abc1234');
    expect(lb).toContain('--set region=eu-central-1');
    expect(lines.slice(-6)).toEqual([
      'deploy:eks: add-ons:',
      '  aws-load-balancer-controller: installed',
      '  metrics-server: installed',
      '  keda: installed',
      '  external-secrets: installed',
      '  cluster-autoscaler: installed',
    ]);
  });

  it('refuses to install without the VPC id, naming the command that writes it', () => {
    const { run, calls } = fakeHelm([]);
    const lines: string[] = [];
    expect(deployEks(['--bootstrap'], run, (l) => lines.push(l), () => 0, () => undefined)).toBe(1);
    expect(lines.at(-1)).toMatch(/outputs\.json has no VpcId .* run `npm run deploy:aws` first/);
    expect(calls).toEqual([]);
  });

  it('a first install that fails is uninstalled (no webhook left behind), the others still install, exit 1', () => {
    const { run, calls } = fakeHelm([
      ['helm status', { status: 1, stderr: 'Error: release: not found' }],
      ['helm upgrade --install aws-load-balancer-controller', { status: 1 }],
    ]);
    const lines: string[] = [];
    expect(runBootstrap(installOrder(eksDefinition(spillway), { vpcId: 'vpc-1' }), run, (l) => lines.push(l))).toBe(1);
    const lbAt = calls.findIndex((c) => c.startsWith('helm upgrade --install aws-load-balancer-controller'));
    expect(calls[lbAt + 1]).toBe('helm uninstall aws-load-balancer-controller --namespace kube-system --wait');
    expect(installs(calls)).toHaveLength(5);
    expect(lines).toContain('  aws-load-balancer-controller: failed; uninstalled');
    expect(lines).toContain('  keda: installed');
  });

  it('a failed upgrade is rolled back to the revision that was deployed', () => {
    const { run, calls } = fakeHelm([
      ['helm status keda', { stdout: JSON.stringify({ version: 4, info: { status: 'deployed' } }) }],
      ['helm upgrade --install keda', { status: 1 }],
    ]);
    const lines: string[] = [];
    expect(runBootstrap(installOrder(eksDefinition(spillway), { vpcId: 'vpc-1' }), run, (l) => lines.push(l))).toBe(1);
    expect(calls).toContain('helm rollback keda 4 --namespace keda --wait');
    expect(lines).toContain('  keda: failed; rolled back to revision 4');
  });

  it('stops when a rollback fails, and reports what was not attempted', () => {
    const { run, calls } = fakeHelm([
      ['helm upgrade --install metrics-server', { status: 1 }],
      ['helm uninstall metrics-server', { status: 1 }],
    ]);
    const lines: string[] = [];
    expect(runBootstrap(installOrder(eksDefinition(spillway), { vpcId: 'vpc-1' }), run, (l) => lines.push(l))).toBe(1);
    expect(installs(calls)).toEqual(['aws-load-balancer-controller', 'metrics-server']);
    expect(lines).toContain('  metrics-server: failed; rollback failed: run it by hand');
    expect(lines).toContain('  keda: not attempted');
  });

  it('installs nothing when a chart repository cannot be reached', () => {
    const { run, calls } = fakeHelm([['helm repo update', { status: 1 }]]);
    const lines: string[] = [];
    expect(runBootstrap(installOrder(eksDefinition(spillway), { vpcId: 'vpc-1' }), run, (l) => lines.push(l))).toBe(1);
    expect(installs(calls)).toEqual([]);
    expect(lines).toContain('deploy:eks: `helm repo update` failed; nothing was installed');
  });
});
