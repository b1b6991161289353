// The EKS cluster in L1 resources (the eks L2 would add Lambda-backed custom resources nothing
// here can check): control plane in the private subnets, API endpoint open only to the
// definition's CIDRs, secrets encrypted with a KMS key, all control-plane logs, AWS-managed
// add-ons, an access entry for the deploy role, and either a managed node group (t3.medium, 3-10,
// sized by the Cluster Autoscaler) or EKS Auto Mode.
import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { EksDefinition } from '../model/definition';
import { addonPinProblem, NODE_GROUP_ADDONS, OBSERVABILITY_ADDON } from './addons-eks';
import { allow } from './nag';
import { podIdentityRole } from './pod-identity';

const managed = (name: string) => iam.ManagedPolicy.fromAwsManagedPolicyName(name);

/** A role with AWS-managed policies, and the cdk-nag acknowledgment of each (by name). */
function roleWithManagedPolicies(scope: Construct, id: string, assumedBy: iam.IPrincipal, names: string[], reason: string): iam.Role {
  const role = new iam.Role(scope, id, { assumedBy, managedPolicies: names.map(managed) });
  allow(role, names.map((n) => [`AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${n}]`, reason]));
  return role;
}

const AWS_MANAGED_POLICIES_REASON =
  'AWS-managed EKS policies are the documented minimum for the cluster and node roles and follow new EKS features; a copy would drift.';

export class ClusterStack extends Stack {
  readonly cluster: eks.CfnCluster;

  constructor(scope: Construct, id: string, def: EksDefinition, vpc: ec2.IVpc, props: StackProps) {
    super(scope, id, props);
    const c = def.target.aws.cluster;
    const auto = c.compute === 'auto-mode';
    const pinProblem = addonPinProblem(c.kubernetesVersion);
    if (pinProblem) throw new Error(pinProblem);
    const privateSubnets = vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds;

    const clusterRole = roleWithManagedPolicies(
      this,
      'ClusterRole',
      new iam.SessionTagsPrincipal(new iam.ServicePrincipal('eks.amazonaws.com')),
      // Auto Mode runs compute, storage, load balancing and networking for the cluster itself.
      ['AmazonEKSClusterPolicy', ...(auto ? ['AmazonEKSComputePolicy', 'AmazonEKSBlockStoragePolicy', 'AmazonEKSLoadBalancingPolicy', 'AmazonEKSNetworkingPolicy'] : [])],
      AWS_MANAGED_POLICIES_REASON,
    );
    const nodeRole = roleWithManagedPolicies(
      this,
      'NodeRole',
      new iam.ServicePrincipal('ec2.amazonaws.com'),
      auto
        ? ['AmazonEKSWorkerNodeMinimalPolicy', 'AmazonEC2ContainerRegistryPullOnly']
        : ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryReadOnly', 'AmazonEKS_CNI_Policy'],
      AWS_MANAGED_POLICIES_REASON,
    );

    const secretsKey = new kms.Key(this, 'SecretsKey', { enableKeyRotation: true, description: `${c.kubernetesVersion} cluster ${def.target.cluster}: Kubernetes Secrets envelope encryption` });

    this.cluster = new eks.CfnCluster(this, 'Cluster', {
      name: def.target.cluster,
      version: c.kubernetesVersion,
      roleArn: clusterRole.roleArn,
      resourcesVpcConfig: {
        subnetIds: privateSubnets,
        endpointPrivateAccess: true,
        endpointPublicAccess: true,
        publicAccessCidrs: c.apiAllowedCidrs,
      },
      // Access entries only (no aws-auth ConfigMap), and the stack's own deploy identity gets no admin by default.
      accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: false },
      encryptionConfig: [{ provider: { keyArn: secretsKey.keyArn }, resources: ['secrets'] }],
      // STANDARD: when the version leaves standard support, EKS upgrades the control plane instead of
      // billing extended support (EXTENDED, the default, about $365 a month per cluster).
      upgradePolicy: { supportType: 'STANDARD' },
      logging: {
        clusterLogging: { enabledTypes: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'].map((type) => ({ type })) },
      },
      ...(auto
        ? {
            bootstrapSelfManagedAddons: false,
            computeConfig: { enabled: true, nodePools: ['general-purpose', 'system'], nodeRoleArn: nodeRole.roleArn },
            kubernetesNetworkConfig: { elasticLoadBalancing: { enabled: true } },
            storageConfig: { blockStorage: { enabled: true } },
          }
        : {}),
    });

    allow(this.cluster, [['AwsSolutions-EKS1', 'The public endpoint answers only the CIDRs in aws.cluster.apiAllowedCidrs (CI, operators); nodes use the private endpoint.']]);

    if (auto) {
      // Auto Mode nodes join through this entry type; AWS then manages their permissions.
      new eks.CfnAccessEntry(this, 'AutoNodes', { clusterName: this.cluster.ref, principalArn: nodeRole.roleArn, type: 'EC2' });
    } else {
      const ng = c.nodeGroup;
      const nodes = new eks.CfnNodegroup(this, 'Nodes', {
        clusterName: this.cluster.ref,
        nodegroupName: 'general',
        nodeRole: nodeRole.roleArn,
        subnets: privateSubnets,
        instanceTypes: [ng.instanceType],
        amiType: 'AL2023_x86_64_STANDARD',
        capacityType: 'ON_DEMAND',
        diskSize: ng.diskGiB,
        scalingConfig: { minSize: ng.min, maxSize: ng.max, desiredSize: ng.desired },
        updateConfig: { maxUnavailable: 1 },
        // EKS tags the node group's Auto Scaling group with these; the Cluster Autoscaler discovers it by them.
        tags: { 'k8s.io/cluster-autoscaler/enabled': 'true', [`k8s.io/cluster-autoscaler/${def.target.cluster}`]: 'owned' },
      });
      // AWS-managed add-ons the node group needs (Auto Mode runs its own).
      for (const a of NODE_GROUP_ADDONS) {
        const addon = new eks.CfnAddon(this, `Addon-${a.name}`, {
          clusterName: this.cluster.ref,
          addonName: a.name,
          addonVersion: a.version,
          resolveConflicts: 'OVERWRITE',
          ...(a.configuration ? { configurationValues: JSON.stringify(a.configuration) } : {}),
        });
        // CoreDNS needs nodes to become active.
        if (a.name === 'coredns') addon.addResourceDependency(nodes);
      }
    }

    // Container Insights and application logs; its agent reads CloudWatch through its own pod role.
    const observability = podIdentityRole(this, 'ObservabilityRole', [managed('CloudWatchAgentServerPolicy')]);
    allow(observability, [
      ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/CloudWatchAgentServerPolicy]', 'The documented policy of the amazon-cloudwatch-observability add-on.'],
    ]);
    new eks.CfnAddon(this, 'Addon-amazon-cloudwatch-observability', {
      clusterName: this.cluster.ref,
      addonName: OBSERVABILITY_ADDON.name,
      addonVersion: OBSERVABILITY_ADDON.version,
      resolveConflicts: 'OVERWRITE',
      podIdentityAssociations: [{ serviceAccount: 'cloudwatch-agent', roleArn: observability.roleArn }],
    });

    // Operators and CI assume this role (any principal of the account allowed to) for kubectl and helm.
    const deployRole = new iam.Role(this, 'DeployRole', { roleName: c.deployRoleName, assumedBy: new iam.AccountRootPrincipal() });
    deployRole.addToPolicy(new iam.PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [this.cluster.attrArn] }));
    new eks.CfnAccessEntry(this, 'DeployAccess', {
      clusterName: this.cluster.ref,
      principalArn: deployRole.roleArn,
      type: 'STANDARD',
      // Installs the add-ons' Helm charts (cluster-scoped CRDs and RBAC), hence cluster admin.
      accessPolicies: [{ policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy', accessScope: { type: 'cluster' } }],
    });

    new CfnOutput(this, 'ClusterName', { value: this.cluster.ref });
    new CfnOutput(this, 'ClusterEndpoint', { value: this.cluster.attrEndpoint });
    new CfnOutput(this, 'DeployRoleArn', { value: deployRole.roleArn });
    new CfnOutput(this, 'ClusterSecurityGroupId', { value: this.cluster.attrClusterSecurityGroupId });
    // deploy:eks --bootstrap passes it to the Load Balancer Controller (addons.ts).
    new CfnOutput(this, 'VpcId', { value: vpc.vpcId });
  }
}
