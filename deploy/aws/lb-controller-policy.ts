// What the AWS Load Balancer Controller may do: read the network and load balancers, manage the
// certificates/WAF/Shield links of its listeners, and create, change and delete only load
// balancers, target groups and security groups tagged with this cluster. Every action of the
// controller's documented policy (docs/install/iam_policy.json upstream, copied to
// fixtures/lb-controller-iam-policy.json with its commit) is granted, under conditions at least as
// strict (lb-controller-policy.spec.ts); its real calls pass (iam-simulate.spec.ts).
// Narrower than upstream on purpose: RegisterTargets/DeregisterTargets only on target groups tagged
// with this cluster (upstream: any target group, for TargetGroupBindings to groups made elsewhere,
// which Spillway does not use), and tags only on resources tagged with this cluster.
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

const CLUSTER_TAGS = ['elbv2.k8s.aws/cluster', 'ingress.k8s.aws/cluster', 'service.k8s.aws/cluster'];

const elbArn = (resource: string) => `arn:${Aws.PARTITION}:elasticloadbalancing:*:*:${resource}`;
const ec2Arn = (resource: string) => `arn:${Aws.PARTITION}:ec2:*:*:${resource}`;

/** cdk-nag's IAM5 findings on the ARN patterns above, each with its reason (access.ts acknowledges them). */
export const lbControllerNagReasons: Array<[string, string]> = [
  ['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:*:*:security-group/*]', 'New security groups only, and only when the request tags them with the cluster (condition).'],
  ['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:*:*:vpc/*]', "The VPC half of CreateSecurityGroup: the VPC a new group goes into; the group half carries the tag condition."],
  ...['listener/app/*/*/*', 'listener/net/*/*/*', 'listener-rule/app/*/*/*/*', 'listener-rule/net/*/*/*/*'].map(
    (r): [string, string] => [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticloadbalancing:*:*:${r}]`, "Tags on create only (CreateListener/CreateRule), and only this cluster's tag (conditions)."],
  ),
];

export function lbControllerStatements(cluster: string): iam.PolicyStatement[] {
  const s = (actions: string[], conditions?: Record<string, unknown>, resources = ['*']) =>
    new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) });
  const tagged = { StringEquals: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': cluster } };
  return [
    s(['iam:CreateServiceLinkedRole'], { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } }),
    s([
      'ec2:DescribeAccountAttributes', 'ec2:DescribeAddresses', 'ec2:DescribeAvailabilityZones', 'ec2:DescribeInternetGateways',
      'ec2:DescribeVpcs', 'ec2:DescribeVpcPeeringConnections', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups',
      'ec2:DescribeInstances', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeTags', 'ec2:DescribeCoipPools', 'ec2:GetCoipPoolUsage',
      'ec2:GetSecurityGroupsForVpc', 'ec2:DescribeIpamPools', 'ec2:DescribeRouteTables',
      'elasticloadbalancing:Describe*',
      'acm:ListCertificates', 'acm:DescribeCertificate', 'iam:ListServerCertificates', 'iam:GetServerCertificate',
      'cognito-idp:DescribeUserPoolClient', 'wafv2:GetWebACL', 'wafv2:GetWebACLForResource', 'waf-regional:GetWebACL',
      'waf-regional:GetWebACLForResource', 'shield:GetSubscriptionState', 'shield:DescribeProtection',
    ]),
    s(['wafv2:AssociateWebACL', 'wafv2:DisassociateWebACL', 'waf-regional:AssociateWebACL', 'waf-regional:DisassociateWebACL', 'shield:CreateProtection', 'shield:DeleteProtection']),
    // New resources must carry the cluster tag; existing ones are changed only when they do.
    s(['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'], { 'ForAnyValue:StringEquals': { 'aws:TagKeys': CLUSTER_TAGS } }),
    // CreateSecurityGroup is authorized twice: on the new group (which carries the request's tags)
    // and on the VPC it goes into (no request tags there, so a tag condition on it always denies).
    s(['ec2:CreateSecurityGroup'], { 'ForAnyValue:StringEquals': { 'aws:TagKeys': CLUSTER_TAGS } }, [ec2Arn('security-group/*')]),
    s(['ec2:CreateSecurityGroup'], undefined, [ec2Arn('vpc/*')]),
    s(['ec2:CreateTags'], { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } }),
    s(['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress']),
    s(['ec2:DeleteSecurityGroup', 'ec2:CreateTags', 'ec2:DeleteTags'], { Null: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } }),
    s(['elasticloadbalancing:AddTags'], { StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateLoadBalancer'] } }),
    // Listeners and rules are created with the cluster's tags: ELB authorizes AddTags on the new
    // ARN, which carries no tag yet, so the tagged-resource statement below cannot cover it.
    s(
      ['elasticloadbalancing:AddTags'],
      { StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateListener', 'CreateRule'], 'aws:RequestTag/elbv2.k8s.aws/cluster': cluster } },
      [elbArn('listener/app/*/*/*'), elbArn('listener/net/*/*/*'), elbArn('listener-rule/app/*/*/*/*'), elbArn('listener-rule/net/*/*/*/*')],
    ),
    s(
      [
        'elasticloadbalancing:ModifyLoadBalancerAttributes', 'elasticloadbalancing:SetIpAddressType', 'elasticloadbalancing:SetSecurityGroups',
        'elasticloadbalancing:SetSubnets', 'elasticloadbalancing:DeleteLoadBalancer', 'elasticloadbalancing:ModifyTargetGroup',
        'elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:DeleteTargetGroup', 'elasticloadbalancing:RegisterTargets',
        'elasticloadbalancing:DeregisterTargets', 'elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags',
        'elasticloadbalancing:ModifyListenerAttributes', 'elasticloadbalancing:ModifyCapacityReservation', 'elasticloadbalancing:ModifyIpPools',
      ],
      tagged,
    ),
    s([
      'elasticloadbalancing:CreateListener', 'elasticloadbalancing:DeleteListener', 'elasticloadbalancing:CreateRule',
      'elasticloadbalancing:DeleteRule', 'elasticloadbalancing:ModifyListener', 'elasticloadbalancing:ModifyRule',
      'elasticloadbalancing:AddListenerCertificates', 'elasticloadbalancing:RemoveListenerCertificates', 'elasticloadbalancing:SetWebAcl',
      'elasticloadbalancing:SetRulePriorities',
    ]),
  ];
}
