// The release role as CloudFormation sees it: GitHub's OIDC provider, trust limited to this
// repository's protected environments, ECR rights on one repository, Kubernetes rights in one namespace.
import { Template } from 'aws-cdk-lib/assertions';
import { spillway } from '../spillway';
import { buildAwsApp } from './app';
import { trustedSubjects } from './ci';

const ci = () => Template.fromStack(buildAwsApp(spillway).stacks.find((s) => s.stackName === 'spillway-ci')!);

describe('spillway-ci', () => {
  const t = ci();

  it("GitHub's OIDC provider, natively (no custom-resource Lambda)", () => {
    t.hasResourceProperties('AWS::IAM::OIDCProvider', { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] });
    t.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('the role trusts only the repository of the definition, in its protected environments', () => {
    expect(trustedSubjects(spillway)).toEqual([
      'repo:example-org/spillway:environment:release',
      'repo:example-org/spillway:environment:production',
      'repo:example-org/spillway:environment:hetzner',
    ]);
    const [role] = Object.values(t.findResources('AWS::IAM::Role', { Properties: { RoleName: 'spillway-github-release' } }));
    const [trust] = role.Properties.AssumeRolePolicyDocument.Statement;
    expect(trust.Action).toBe('sts:AssumeRoleWithWebIdentity');
    // StringEquals on sub: no wildcard, so no other repository, fork or branch matches.
    expect(trust.Condition).toEqual({
      StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': trustedSubjects(spillway) },
    });
    expect(JSON.stringify(role)).not.toMatch(/StringLike|\*/);
  });

  it('ECR rights on the one repository; EKS admin in the app namespace only', () => {
    const [policy] = Object.values(t.findResources('AWS::IAM::Policy'));
    const statements = policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>;
    const push = statements.find((s) => [s.Action].flat().includes('ecr:PutImage'))!;
    expect(JSON.stringify(push.Resource)).toContain(':repository/spillway');
    const wildcard = statements.filter((s) => s.Resource === '*').map((s) => s.Action);
    expect(wildcard).toEqual(['ecr:GetAuthorizationToken']);
    t.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: 'spillway-prod',
      AccessPolicies: [{ PolicyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy', AccessScope: { Type: 'namespace', Namespaces: ['spillway'] } }],
    });
  });
});
