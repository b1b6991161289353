// The seed's numbers as they reach CloudFormation (aws-cdk-lib/assertions on each stack): node
// group, RDS, budget, DNS weights, and the options the definition turns on.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EksDefinition } from '../model/definition';
import { publicSubnetCidrs } from '../model/subnets';
import { DefinitionError } from '../model/validate';
import { spillway as definition } from '../spillway';
import { eksDefinition } from '../model/targets';
import { buildAwsApp } from './app';

const spillway = eksDefinition(definition);

function stacksOf(def: EksDefinition): Record<string, Template> {
  const { stacks } = buildAwsApp(def);
  return Object.fromEntries(stacks.map((s) => [s.stackName.replace(`${def.target.aws.stackPrefix}-`, ''), Template.fromStack(s)]));
}

const seed = stacksOf(spillway);

describe('AWS stacks of the reference definition', () => {
  it('network: three AZs, public and private subnets, one NAT gateway, flow logs; the S3 gateway endpoint and the SQS interface endpoint', () => {
    seed.network.resourceCountIs('AWS::EC2::Subnet', 6);
    seed.network.resourceCountIs('AWS::EC2::NatGateway', 1);
    seed.network.resourceCountIs('AWS::EC2::FlowLog', 1);
    // S3 (image layers, claim checks) never pays the NAT gateway's per-GB fee.
    const endpoints = Object.values(seed.network.findResources('AWS::EC2::VPCEndpoint')).map((r) => [r.Properties.VpcEndpointType ?? 'Gateway', JSON.stringify(r.Properties.ServiceName)]);
    expect(endpoints).toEqual([
      ['Gateway', expect.stringContaining('.s3')],
      ['Interface', expect.stringContaining('.sqs')],
    ]);
    seed.network.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
  });

  it('network: the public subnets are the ones the absorber NetworkPolicy admits the ALB from', () => {
    const subnets = Object.values(seed.network.findResources('AWS::EC2::Subnet')) as Array<{ Properties: { CidrBlock: string; Tags: Array<{ Key: string; Value: string }> } }>;
    const pub = subnets.filter((s) => s.Properties.Tags.some((t) => t.Key === 'aws-cdk:subnet-type' && t.Value === 'Public')).map((s) => s.Properties.CidrBlock);
    expect(pub.sort()).toEqual(publicSubnetCidrs(spillway.target.vpcCidr, spillway.target.aws.availabilityZones.length).sort());
  });

  it('cluster: the seed node group (t3.medium, 3 to 10), restricted API, encrypted secrets, all logs', () => {
    seed.cluster.hasResourceProperties('AWS::EKS::Nodegroup', {
      InstanceTypes: ['t3.medium'],
      ScalingConfig: { MinSize: 3, MaxSize: 10, DesiredSize: 3 },
      Tags: { 'k8s.io/cluster-autoscaler/enabled': 'true', 'k8s.io/cluster-autoscaler/spillway-prod': 'owned' },
    });
    seed.cluster.hasResourceProperties('AWS::EKS::Cluster', {
      Name: 'spillway-prod',
      Version: '1.35',
      ResourcesVpcConfig: Match.objectLike({ EndpointPublicAccess: true, EndpointPrivateAccess: true, PublicAccessCidrs: ['203.0.113.0/24'] }),
      AccessConfig: { AuthenticationMode: 'API', BootstrapClusterCreatorAdminPermissions: false },
      EncryptionConfig: [Match.objectLike({ Resources: ['secrets'] })],
      Logging: { ClusterLogging: { EnabledTypes: Match.arrayWith([{ Type: 'api' }, { Type: 'audit' }]) } },
    });
    const addons = Object.values(seed.cluster.findResources('AWS::EKS::Addon')).map((r) => r.Properties.AddonName).sort();
    expect(addons).toEqual(['amazon-cloudwatch-observability', 'coredns', 'eks-pod-identity-agent', 'kube-proxy', 'vpc-cni']);
    const deployRole = Object.keys(seed.cluster.findResources('AWS::IAM::Role', { Properties: { RoleName: 'spillway-deploy' } }));
    expect(deployRole).toHaveLength(1);
    seed.cluster.hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: { 'Fn::GetAtt': [deployRole[0], 'Arn'] },
      AccessPolicies: [{ PolicyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy', AccessScope: { Type: 'cluster' } }],
    });
  });

  it('data: db.t3.medium, Multi-AZ, 100 GB gp3, encrypted, 7-day backups, deletion protection, one replica', () => {
    const instances = Object.values(seed.data.findResources('AWS::RDS::DBInstance')).map((r) => r.Properties);
    const primary = instances.find((p) => !p.SourceDBInstanceIdentifier)!;
    expect(primary).toMatchObject({
      DBInstanceClass: 'db.t3.medium',
      Engine: 'postgres',
      EngineVersion: '16.13',
      MultiAZ: true,
      AllocatedStorage: '100',
      StorageType: 'gp3',
      StorageEncrypted: true,
      BackupRetentionPeriod: 7,
      DeletionProtection: true,
    });
    expect(JSON.stringify(primary.MasterUserPassword)).toContain('{{resolve:secretsmanager:');
    expect(instances.filter((p) => p.SourceDBInstanceIdentifier)).toHaveLength(1);
    // A replica is its own volume: gp3 like the primary, not the gp2 RDS would default to.
    expect(instances.filter((p) => p.SourceDBInstanceIdentifier).map((p) => p.StorageType)).toEqual(['gp3']);
    // Reachable only from the cluster's security group, on 5432.
    seed.data.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: Match.anyValue() })],
    });
    seed.data.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: { 'rds.force_ssl': '1' } });
  });

  it('billing: a monthly cost budget above the idle floor, alerting at 80% actual and 100% forecast', () => {
    seed.billing.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: { BudgetType: 'COST', TimeUnit: 'MONTHLY', BudgetLimit: { Amount: 650, Unit: 'USD' }, BudgetName: 'spillway-monthly' },
      NotificationsWithSubscribers: [
        Match.objectLike({ Notification: Match.objectLike({ NotificationType: 'ACTUAL', Threshold: 80 }) }),
        Match.objectLike({ Notification: Match.objectLike({ NotificationType: 'FORECASTED', Threshold: 100 }) }),
      ],
    });
  });

  it('registry: scan on push, immutable tags, lifecycle', () => {
    seed.registry.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryName: 'spillway',
      ImageScanningConfiguration: { ScanOnPush: true },
      ImageTagMutability: 'IMMUTABLE',
      LifecyclePolicy: Match.objectLike({ LifecyclePolicyText: Match.stringLikeRegexp('"countNumber":50') }),
    });
  });

  it('backups: versioned, encrypted, TLS only, no public access', () => {
    seed.backups.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    seed.backups.hasResourceProperties('AWS::S3::BucketPolicy', { PolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] }) });
  });

  it("edge: the ingest name's certificate, DNS-validated in the zone; no records (the cutover drives them), whatever the weights", () => {
    const def = structuredClone(spillway);
    def.dns.weights = { hetzner: 90, eks: 10 };
    const edge = stacksOf(def).edge;
    edge.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'ingest.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'ingest.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
    });
    edge.resourceCountIs('AWS::Route53::RecordSet', 0);
    expect(JSON.stringify(edge.toJSON())).toBe(JSON.stringify(seed.edge.toJSON()));
  });
});

describe('AWS stacks: options from the definition', () => {
  const def = structuredClone(spillway);
  def.target.aws.cluster.compute = 'auto-mode';
  def.target.aws.network = { natGateways: 'per-az', vpcEndpoints: ['sqs', 'ecr', 'secretsmanager', 'sts', 'logs'] };
  def.target.aws.database.readReplicas = 2;
  def.target.broker = { kind: 'bullmq', redis: { elasticache: { nodeType: 'cache.t4g.small' } } };
  const t = stacksOf(def);

  it('Auto Mode: no node group or self-managed add-ons, no autoscaler or LB controller roles', () => {
    t.cluster.resourceCountIs('AWS::EKS::Nodegroup', 0);
    t.cluster.hasResourceProperties('AWS::EKS::Cluster', { ComputeConfig: Match.objectLike({ Enabled: true }), BootstrapSelfManagedAddons: false });
    const addons = Object.values(t.cluster.findResources('AWS::EKS::Addon')).map((r) => r.Properties.AddonName);
    expect(addons).toEqual(['amazon-cloudwatch-observability']);
    const associations = Object.values(t.access.findResources('AWS::EKS::PodIdentityAssociation')).map((r) => r.Properties.ServiceAccount).sort();
    // On BullMQ KEDA reads Redis with the cache's secret: no AWS role for it.
    expect(associations).toEqual(['external-secrets', 'spillway-absorber', 'spillway-worker']);
  });

  it('a NAT gateway per AZ, VPC endpoints, two replicas, Redis Multi-AZ', () => {
    t.network.resourceCountIs('AWS::EC2::NatGateway', 3);
    t.network.resourceCountIs('AWS::EC2::VPCEndpoint', 7);
    expect(Object.values(t.data.findResources('AWS::RDS::DBInstance')).filter((r) => r.Properties.SourceDBInstanceIdentifier)).toHaveLength(2);
    t.cache.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { MultiAZEnabled: true, AutomaticFailoverEnabled: true, TransitEncryptionEnabled: true, AtRestEncryptionEnabled: true });
  });

  it('refuses settings that cannot work, naming the field', () => {
    const bad = structuredClone(spillway);
    bad.target.aws.database.readReplicas = 3;
    bad.target.aws.cluster.apiAllowedCidrs = ['0.0.0.0/0'];
    bad.target.aws.database.engineVersion = '17.2';
    bad.release.runner.connectionArn = 'github.com/example-org';
    expect(() => buildAwsApp(bad)).toThrow(DefinitionError);
    expect(() => buildAwsApp(bad)).toThrow(/aws.database.readReplicas: 0, 1 or 2/);
    expect(() => buildAwsApp(bad)).toThrow(/aws.cluster.apiAllowedCidrs: "0.0.0.0\/0" opens the API endpoint/);
    expect(() => buildAwsApp(bad)).toThrow(/aws.database.engineVersion: 17.2 is not PostgreSQL 16/);
    expect(() => buildAwsApp(bad)).toThrow('release.runner.connectionArn: "github.com/example-org" is not a CodeConnections connection ARN');
  });
});
