// The CI roles as CloudFormation sees them: GitHub's OIDC provider (created or imported), one role
// per duty, each trusting exactly one GitHub environment of this repository; ECR rights by duty;
// Kubernetes rights through groups the rendered Role/RoleBinding name; the CodeBuild runner in the VPC.
import { Template } from 'aws-cdk-lib/assertions';
import { EksDefinition } from '../model/definition';
import { spillway as definition } from '../spillway';
import { eksDefinition } from '../model/targets';
import { buildAwsApp } from './app';
import { CI_DUTIES, ciRoleName, kubernetesGroup, runnerProjectName, subjectOf } from './ci';

const spillway = eksDefinition(definition);

const ciOf = (def: EksDefinition) => Template.fromStack(buildAwsApp(def).stacks.find((s) => s.stackName === 'spillway-ci')!);

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
type Resource = { Properties: Record<string, any> };

/** The role with this name and the actions its inline policy grants. */
function roleOf(t: Template, name: string): { role: Resource; logicalId: string; actions: string[]; statements: Statement[] } {
  const roles = t.findResources('AWS::IAM::Role', { Properties: { RoleName: name } });
  const [logicalId] = Object.keys(roles);
  if (!logicalId) throw new Error(`no role ${name}`);
  const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${logicalId}"`));
  const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  return { role: roles[logicalId] as Resource, logicalId, statements, actions: statements.flatMap((s) => [s.Action].flat()).sort() };
}

describe('spillway-ci', () => {
  const t = ciOf(spillway);

  it("GitHub's OIDC provider, natively (no custom-resource Lambda)", () => {
    t.hasResourceProperties('AWS::IAM::OIDCProvider', { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] });
    t.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('an existing OIDC provider is imported, not created (EntityAlreadyExists otherwise)', () => {
    const def = structuredClone(spillway);
    def.release.githubOidcProvider = 'existing';
    const imported = ciOf(def);
    imported.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    const { role } = roleOf(imported, ciRoleName(def, 'image'));
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal)).toContain(':oidc-provider/token.actions.githubusercontent.com');
  });

  it('one role per duty, each trusting exactly one environment of the repository (shift: production only)', () => {
    expect(CI_DUTIES.map((d) => [d, subjectOf(spillway, d)])).toEqual([
      ['image', 'repo:example-org/spillway:environment:release'],
      ['deploy', 'repo:example-org/spillway:environment:release'],
      ['shift', 'repo:example-org/spillway:environment:production'],
      ['hetzner', 'repo:example-org/spillway:environment:hetzner'],
    ]);
    t.resourceCountIs('AWS::IAM::Role', CI_DUTIES.length + 1);
    for (const duty of CI_DUTIES) {
      const { role, logicalId } = roleOf(t, ciRoleName(spillway, duty));
      // The duty is in the logical id: an IAM simulation reads the roles from the template by it.
      expect(logicalId.toLowerCase()).toContain(duty);
      const [trust, ...more] = role.Properties.AssumeRolePolicyDocument.Statement;
      expect(more).toEqual([]);
      expect(trust.Action).toBe('sts:AssumeRoleWithWebIdentity');
      // StringEquals on one sub: no wildcard, no second environment, no fork or branch.
      expect(trust.Condition).toEqual({
        StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': subjectOf(spillway, duty) },
      });
      expect(JSON.stringify(role)).not.toMatch(/StringLike|\*/);
    }
  });

  it('ECR by duty: image pushes, the box only pulls, deploy and shift touch no image', () => {
    const image = roleOf(t, ciRoleName(spillway, 'image'));
    expect(image.actions).toEqual(expect.arrayContaining(['ecr:PutImage', 'ecr:CompleteLayerUpload', 'ecr:DescribeImages', 'ecr:DescribeImageScanFindings', 'ecr:BatchGetImage']));
    expect(JSON.stringify(image.statements.find((s) => [s.Action].flat().includes('ecr:PutImage'))!.Resource)).toContain(':repository/spillway');
    expect(image.actions.some((a) => a.startsWith('eks:'))).toBe(false);
    const box = roleOf(t, ciRoleName(spillway, 'hetzner'));
    expect(box.actions).toEqual(['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetAuthorizationToken', 'ecr:GetDownloadUrlForLayer']);
    for (const duty of ['deploy', 'shift'] as const) expect(roleOf(t, ciRoleName(spillway, duty)).actions).toEqual(['eks:DescribeCluster']);
    for (const duty of CI_DUTIES) {
      const wildcard = roleOf(t, ciRoleName(spillway, duty)).statements.filter((s) => s.Resource === '*').map((s) => s.Action);
      expect([duty, wildcard]).toEqual([duty, duty === 'image' || duty === 'hetzner' ? ['ecr:GetAuthorizationToken'] : []]);
    }
  });

  it('Kubernetes rights only through groups (bound by the rendered Role/RoleBinding), no access policy', () => {
    const entries = Object.values(t.findResources('AWS::EKS::AccessEntry')).map((r) => r.Properties);
    expect(entries.map((e) => [e.KubernetesGroups, e.AccessPolicies ?? []])).toEqual([
      [[kubernetesGroup(spillway, 'deploy')], []],
      [[kubernetesGroup(spillway, 'shift')], []],
    ]);
    expect(kubernetesGroup(spillway, 'deploy')).toBe('spillway-release-deploy');
  });

  it('a CodeBuild project runs the deploy jobs as GitHub Actions runners inside the VPC', () => {
    t.hasResourceProperties('AWS::CodeBuild::Project', {
      Name: runnerProjectName(spillway),
      Source: { Type: 'GITHUB', Location: 'https://github.com/example-org/spillway.git', Auth: { Type: 'CODECONNECTIONS', Resource: spillway.release.runner.connectionArn } },
      Triggers: { Webhook: true, FilterGroups: [[{ Type: 'EVENT', Pattern: 'WORKFLOW_JOB_QUEUED' }]] },
    });
    const [project] = Object.values(t.findResources('AWS::CodeBuild::Project')).map((r) => r.Properties);
    expect(project.VpcConfig.Subnets).toHaveLength(3);
    expect(project.Environment).toMatchObject({ Type: 'LINUX_CONTAINER', ComputeType: spillway.release.runner.computeType, PrivilegedMode: false });
    // Its security group may reach the cluster's private API endpoint (443 into the cluster security group).
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    // The runner's own role gets no AWS rights beyond running in the VPC, logging and the connection: jobs assume the duty roles.
    const runnerRole = Object.entries(t.findResources('AWS::IAM::Role')).find(([, r]) => JSON.stringify(r).includes('codebuild.amazonaws.com'))!;
    const actions = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${runnerRole[0]}"`))
      .flatMap((p) => (p.Properties.PolicyDocument.Statement as Statement[]).flatMap((s) => [s.Action].flat()));
    expect(actions.filter((a) => !/^(logs|ec2|codeconnections|codestar-connections):/.test(a))).toEqual([]);
  });
});
