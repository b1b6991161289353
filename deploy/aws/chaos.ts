// AWS FIS experiment templates for staging (docs/chaos.md): delete absorber or worker pods, stop
// the nodes of one zone, fail the database over, cut one zone's private subnet off. Each stops as
// soon as a service-health alarm (alarms.ts) fires. Templates do nothing until someone starts one.
// The FIS role may touch only what the experiments name: this cluster's pods (through its access
// entry), this cluster's instances, the primary database, and network ACLs FIS itself creates.
import { ArnFormat, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EksDefinition } from '../model/definition';
import { serviceHealthAlarms } from './alarms';
import { DataStack } from './data';
import { allow } from './nag';

/** The Kubernetes user FIS acts as, and the ServiceAccount its pod actions run under (docs/chaos.md creates its RBAC). */
export const FIS_KUBERNETES = { username: 'fis-experiment', serviceAccount: 'fis-experiment' } as const;

export class ChaosStack extends Stack {
  readonly templates: Record<string, fis.CfnExperimentTemplate> = {};

  constructor(scope: Construct, id: string, def: EksDefinition, vpc: ec2.IVpc, data: DataStack, props: StackProps) {
    super(scope, id, props);
    const { cluster, namespace } = def.target;
    const zone = def.target.aws.availabilityZones[0];
    const clusterArn = this.formatArn({ service: 'eks', resource: 'cluster', resourceName: cluster });
    const stopConditions = serviceHealthAlarms(def).map((name) => ({
      source: 'aws:cloudwatch:alarm',
      value: this.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    }));

    const role = new iam.Role(this, 'FisRole', {
      assumedBy: new iam.ServicePrincipal('fis.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
      description: `${def.name}: the FIS experiments of docs/chaos.md`,
    });
    const grant = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      role.addToPolicy(new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) }));
    grant(['eks:DescribeCluster'], [clusterArn]);
    const instances = this.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' });
    grant(['ec2:StopInstances', 'ec2:StartInstances'], [instances], { StringEquals: { 'aws:ResourceTag/eks:cluster-name': cluster } });
    // Starting an instance whose EBS volumes use a customer-managed key needs a grant on that key,
    // made by EC2 on the role's behalf (the condition of AWS's AWSFaultInjectionSimulatorEC2Access).
    const keys = this.formatArn({ service: 'kms', resource: 'key', resourceName: '*' });
    grant(['kms:CreateGrant'], [keys], { StringLike: { 'kms:ViaService': `ec2.${this.region}.amazonaws.com` }, Bool: { 'kms:GrantIsForAWSResource': 'true' } });
    grant(['rds:RebootDBInstance'], [data.primary.instanceArn]);
    // FIS tags the network ACLs it creates managedByFIS=true; the role changes only ACLs carrying it.
    const acls = this.formatArn({ service: 'ec2', resource: 'network-acl', resourceName: '*' });
    // CreateNetworkAcl is authorized on the new ACL (which carries the request's tags) and on the
    // VPC it goes into (no request tags there): a tag condition on the VPC half would always deny.
    grant(['ec2:CreateNetworkAcl'], [acls], { StringEquals: { 'aws:RequestTag/managedByFIS': 'true' } });
    grant(['ec2:CreateNetworkAcl'], [vpcArn(this, vpc)]);
    grant(['ec2:CreateTags'], [acls], { StringEquals: { 'ec2:CreateAction': 'CreateNetworkAcl', 'aws:RequestTag/managedByFIS': 'true' } });
    grant(['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAcl'], [acls], { StringEquals: { 'aws:ResourceTag/managedByFIS': 'true' } });
    // Swapping the subnet's ACL association for FIS's deny-all ACL, and back: only subnets of this VPC.
    grant(['ec2:ReplaceNetworkAclAssociation'], [acls, this.formatArn({ service: 'ec2', resource: 'subnet', resourceName: '*' })], { StringEquals: { 'ec2:Vpc': vpcArn(this, vpc) } });
    // Describe and list calls take no resource ARN.
    grant(
      ['ec2:DescribeInstances', 'ec2:DescribeNetworkAcls', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'ec2:DescribeManagedPrefixLists', 'ec2:GetManagedPrefixListEntries', 'rds:DescribeDBInstances', 'tag:GetResources'],
      ['*'],
    );
    allow(role, [
      ['AwsSolutions-IAM5[Resource::*]', 'Describe and list calls take no resource ARN; every write is limited to named or tagged resources.'],
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${this.region}:${this.account}:instance/*]`, "Instances come and go with the node group: only those tagged with this cluster's name, by condition."],
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${this.region}:${this.account}:network-acl/*]`, 'Only network ACLs FIS creates itself, tagged managedByFIS=true, by condition.'],
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${this.region}:${this.account}:subnet/*]`, 'Subnets of this VPC only, by the ec2:Vpc condition.'],
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${this.region}:${this.account}:key/*]`, "The nodes' EBS key (any key the account sets as default): only grants EC2 makes for its own volumes, by condition."],
    ]);
    // FIS reaches the pods as this Kubernetes user; a Role in the namespace (docs/chaos.md) says what it may do.
    new eks.CfnAccessEntry(this, 'FisAccess', { clusterName: cluster, principalArn: role.roleArn, type: 'STANDARD', username: FIS_KUBERNETES.username });

    const template = (name: string, description: string, target: fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty, action: { actionId: string; targetKey: string; parameters?: Record<string, string> }) => {
      this.templates[name] = new fis.CfnExperimentTemplate(this, name, {
        description,
        roleArn: role.roleArn,
        stopConditions,
        targets: { [name]: target },
        actions: { [name]: { actionId: action.actionId, parameters: action.parameters, targets: { [action.targetKey]: name } } },
        tags: { Name: `${def.name}-${name}` },
      });
    };

    for (const component of ['absorber', 'worker']) {
      template(
        `${component}-pod-delete`,
        `Delete half of the ${component} pods: the rest keep serving, the Deployment replaces them.`,
        {
          resourceType: 'aws:eks:pod',
          selectionMode: 'PERCENT(50)',
          parameters: { clusterIdentifier: cluster, namespace, selectorType: 'labelSelector', selectorValue: `app.kubernetes.io/component=${component}` },
        },
        {
          actionId: 'aws:eks:pod-delete',
          targetKey: 'Pods',
          // FIS's own pod meets the namespace's `restricted` Pod Security level (docs/chaos.md).
          parameters: { kubernetesServiceAccount: FIS_KUBERNETES.serviceAccount, fisPodSecurityPolicy: 'restricted' },
        },
      );
    }
    template(
      'zone-nodes-stop',
      `Stop every node of ${zone} for 10 minutes: pods reschedule in the other zones (the ASG may replace the stopped nodes first).`,
      {
        resourceType: 'aws:ec2:instance',
        selectionMode: 'ALL',
        resourceTags: { 'eks:cluster-name': cluster },
        filters: [
          { path: 'Placement.AvailabilityZone', values: [zone] },
          { path: 'State.Name', values: ['running'] },
        ],
      },
      { actionId: 'aws:ec2:stop-instances', targetKey: 'Instances', parameters: { startInstancesAfterDuration: 'PT10M' } },
    );
    template(
      'database-failover',
      'Reboot the RDS primary with a forced Multi-AZ failover: the standby takes over, connections drop once.',
      { resourceType: 'aws:rds:db', selectionMode: 'ALL', resourceArns: [data.primary.instanceArn] },
      { actionId: 'aws:rds:reboot-db-instances', targetKey: 'DBInstances', parameters: { forceFailover: 'true' } },
    );
    const subnet = vpc.privateSubnets.find((s) => s.availabilityZone === zone)!;
    template(
      'zone-network-disrupt',
      `Deny all traffic in and out of the private subnet of ${zone} for 5 minutes (a network ACL FIS adds and removes).`,
      { resourceType: 'aws:ec2:subnet', selectionMode: 'ALL', resourceArns: [this.formatArn({ service: 'ec2', resource: 'subnet', resourceName: subnet.subnetId })] },
      { actionId: 'aws:network:disrupt-connectivity', targetKey: 'Subnets', parameters: { scope: 'all', duration: 'PT5M' } },
    );
  }
}

function vpcArn(stack: Stack, vpc: ec2.IVpc): string {
  return stack.formatArn({ service: 'ec2', resource: 'vpc', resourceName: vpc.vpcId });
}
