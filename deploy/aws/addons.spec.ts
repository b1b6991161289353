// The cluster add-ons: pinned Helm releases whose ServiceAccounts are the ones the access stack
// gives roles to, installed by `npm run deploy:eks -- --bootstrap`; and the cluster access taken
// from deploy:aws's outputs.
import { Template } from 'aws-cdk-lib/assertions';
import { Runner } from '../command-runner';
import { deployEks } from '../deploy-eks';
import { spillway as definition } from '../spillway';
import { eksDefinition } from '../model/targets';
import { addonAccounts, bootstrapCommands, helmReleases } from './addons';
import { buildAwsApp } from './app';
import { clusterAccess } from './stack-outputs';

const spillway = eksDefinition(definition);

describe('cluster add-ons', () => {
  it('every chart is pinned to an exact version, KEDA at 2.13 or later', () => {
    for (const r of helmReleases(spillway)) expect(r.version).toMatch(/^\d+\.\d+\.\d+$/);
    const keda = helmReleases(spillway).find((r) => r.release === 'keda')!;
    const [major, minor] = keda.version.split('.').map(Number);
    expect(major > 2 || (major === 2 && minor >= 13)).toBe(true);
  });

  it('each add-on ServiceAccount with AWS calls has a Pod Identity association in the access stack', () => {
    const access = buildAwsApp(spillway).stacks.find((s) => s.stackName === 'spillway-access')!;
    const associations = Object.values(Template.fromStack(access).findResources('AWS::EKS::PodIdentityAssociation')).map(
      (r) => `${r.Properties.Namespace}/${r.Properties.ServiceAccount}`,
    );
    for (const a of Object.values(addonAccounts)) expect(associations).toContain(`${a.namespace}/${a.serviceAccount}`);
    expect(associations).toEqual(expect.arrayContaining(['spillway/spillway-absorber', 'spillway/spillway-worker']));
  });

  it('deploy:eks --bootstrap --dry-run prints the helm commands and runs nothing', () => {
    const calls: string[] = [];
    const run: Runner = (cmd, args) => (calls.push([cmd, ...args].join(' ')), { status: 0, stdout: '', stderr: '' });
    const lines: string[] = [];
    expect(deployEks(['--bootstrap', '--dry-run'], run, (l) => lines.push(l), () => 0)).toBe(0);
    expect(calls).toEqual([]);
    expect(lines).toContain(
      '  helm upgrade --install keda kedacore/keda --version 2.20.2 --namespace keda --create-namespace --wait --set serviceAccount.operator.name=keda-operator',
    );
    expect(lines.some((l) => l.includes('aws-load-balancer-controller') && l.includes('--set clusterName=spillway-prod'))).toBe(true);
  });

  it('Auto Mode installs neither the Load Balancer Controller nor the Cluster Autoscaler', () => {
    const auto = { ...spillway, target: { ...spillway.target, aws: { ...spillway.target.aws, cluster: { ...spillway.target.aws.cluster, compute: 'auto-mode' as const } } } };
    const installs = bootstrapCommands(auto).filter((c) => c[1] === 'upgrade').map((c) => c[3]);
    expect(installs).toEqual(['metrics-server', 'keda', 'external-secrets']);
  });

  it('kubectl access: the deployed cluster and deploy role when deploy:aws wrote outputs, else the definition', () => {
    expect(clusterAccess(spillway).command).toBe('aws eks update-kubeconfig --name spillway-prod --region eu-central-1');
    const outputs = { 'spillway-cluster': { ClusterName: 'spillway-prod', DeployRoleArn: 'arn:aws:iam::123456789012:role/spillway-deploy' } };
    expect(clusterAccess(spillway, outputs).command).toBe(
      'aws eks update-kubeconfig --name spillway-prod --region eu-central-1 --role-arn arn:aws:iam::123456789012:role/spillway-deploy',
    );
  });
});
