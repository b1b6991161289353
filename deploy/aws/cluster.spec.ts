// The cluster stack's settings that bill or silently do nothing when wrong: the upgrade policy,
// network policy enforcement in vpc-cni, pinned add-on versions, the VPC id deploy:eks hands to the
// Load Balancer Controller.
import { Template } from 'aws-cdk-lib/assertions';
import { spillway as definition } from '../spillway';
import { eksDefinition } from '../model/targets';
import { ADDON_PINS_FOR_KUBERNETES, NODE_GROUP_ADDONS } from './addons-eks';
import { buildAwsApp } from './app';

const spillway = eksDefinition(definition);

const cluster = Template.fromStack(buildAwsApp(spillway).stacks.find((s) => s.stackName === 'spillway-cluster')!);
const addons = Object.values(cluster.findResources('AWS::EKS::Addon')).map((r) => r.Properties as { AddonName: string; AddonVersion?: string; ConfigurationValues?: string });

describe('EKS cluster settings', () => {
  it('STANDARD support: the cluster is upgraded, not billed extended support', () => {
    cluster.hasResourceProperties('AWS::EKS::Cluster', { UpgradePolicy: { SupportType: 'STANDARD' } });
  });

  it('vpc-cni enforces NetworkPolicies', () => {
    const cni = addons.find((a) => a.AddonName === 'vpc-cni')!;
    expect(JSON.parse(cni.ConfigurationValues!)).toEqual({ enableNetworkPolicy: 'true' });
  });

  it('every EKS add-on is pinned to an exact eksbuild version; kube-proxy to the cluster minor', () => {
    expect(addons.map((a) => a.AddonName).sort()).toEqual([...NODE_GROUP_ADDONS.map((a) => a.name), 'amazon-cloudwatch-observability'].sort());
    for (const a of addons) expect(`${a.AddonName} ${a.AddonVersion}`).toMatch(/ v\d+\.\d+\.\d+-eksbuild\.\d+$/);
    expect(addons.find((a) => a.AddonName === 'kube-proxy')!.AddonVersion).toMatch(new RegExp(`^v${ADDON_PINS_FOR_KUBERNETES.replace('.', '\\.')}\\.`));
  });

  it('refuses a Kubernetes version the add-on pins are not for, naming the file', () => {
    const next = structuredClone(spillway);
    next.target.aws.cluster.kubernetesVersion = '1.36';
    expect(() => buildAwsApp(next)).toThrow(/kubernetesVersion is 1\.36 but the EKS add-on pins in deploy\/aws\/addons-eks\.ts are for 1\.35/);
  });

  it('exports the VPC id (deploy:eks --bootstrap passes it to the Load Balancer Controller)', () => {
    expect(Object.keys(cluster.findOutputs('VpcId'))).toEqual(['VpcId']);
  });
});
