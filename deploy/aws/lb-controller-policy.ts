// What the AWS Load Balancer Controller may do: read the network and load balancers, manage the
// certificates/WAF/Shield links of its listeners, and create, change and delete only load
// balancers, target groups and security groups tagged with this cluster. Every action of the
// controller's documented policy (docs/install/iam_policy.json upstream, listed in
// fixtures/lb-controller-iam-actions.json with its commit) is granted: lb-controller-policy.spec.ts.
// Narrower than upstream on purpose: RegisterTargets/DeregisterTargets only on target groups tagged
// with this cluster (upstream: any target group, for TargetGroupBindings to groups made elsewhere,
// which Spillway does not use), and tags only on resources tagged with this cluster.
import * as iam from 'aws-cdk-lib/aws-iam';

const CLUSTER_TAGS = ['elbv2.k8s.aws/cluster', 'ingress.k8s.aws/cluster', 'service.k8s.aws/cluster'];

export function lbControllerStatements(cluster: string): iam.PolicyStatement[] {
  const s = (actions: string[], conditions?: Record<string, unknown>) =>
    new iam.PolicyStatement({ actions, resources: ['*'], ...(conditions ? { conditions } : {}) });
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
    s(['ec2:CreateSecurityGroup', 'elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'], {
      'ForAnyValue:StringEquals': { 'aws:TagKeys': CLUSTER_TAGS },
    }),
    s(['ec2:CreateTags'], { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } }),
    s(['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress']),
    s(['ec2:DeleteSecurityGroup', 'ec2:CreateTags', 'ec2:DeleteTags'], { Null: { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' } }),
    s(['elasticloadbalancing:AddTags'], { StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateLoadBalancer'] } }),
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
