// What the GitHub workflows assume (no long-lived keys): GitHub's OIDC provider (created here or the
// account's existing one) and one role per duty, each trusting the OIDC token of exactly one
// protected environment of `release.repository`:
//   image   (env release)    build, push, scan and promote images in the one ECR repository
//   deploy  (env release)    the idle slot: Kubernetes group <name>-release-deploy, no Secret reads
//   shift   (env production) the ALB weights and the release history: group <name>-release-shift;
//                            production's required reviewers gate it, and no other role can do it
//   hetzner (env hetzner)    pull only: the box pulls with the runner's ECR login
// The Kubernetes groups are bound by the Role/RoleBinding rendered into the manifests
// (deploy/release/rbac.ts); the access entries carry no EKS access policy.
import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EksDefinition } from '../model/definition';
import { kubernetesGroup } from '../release/rbac';
import { GitHubRunner } from './ci-runner';

export { runnerProjectName, vpcRunnerLabel } from './ci-runner';
import { allow } from './nag';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

export const CI_DUTIES = ['image', 'deploy', 'shift', 'hetzner'] as const;
export type CiDuty = (typeof CI_DUTIES)[number];

/** The GitHub environment whose jobs may assume each duty's role. */
const ENVIRONMENT_OF: Record<CiDuty, keyof EksDefinition['release']['environments']> = { image: 'release', deploy: 'release', shift: 'production', hetzner: 'hetzner' };

/** The one `sub` claim a duty's role accepts. */
export const subjectOf = (def: EksDefinition, duty: CiDuty) => `repo:${def.release.repository}:environment:${def.release.environments[ENVIRONMENT_OF[duty]]}`;

export const ciRoleName = (def: EksDefinition, duty: CiDuty) => `${def.release.ciRoleName}-${duty}`;

/** The role ARN a workflow job names: fixed by the definition, so no secret or variable holds it. */
export const ciRoleArn = (def: EksDefinition, duty: CiDuty) => `arn:aws:iam::${def.target.accountId}:role/${ciRoleName(def, duty)}`;

// The Kubernetes group of the deploy and shift roles' access entries; the rendered RoleBindings name it.
export { kubernetesGroup } from '../release/rbac';


const ECR_PULL = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
const ECR_PUSH = ['ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'];

export class CiStack extends Stack {
  constructor(scope: Construct, id: string, def: EksDefinition, vpc: ec2.IVpc, clusterSecurityGroupId: string, props: StackProps) {
    super(scope, id, props);
    const eksTarget = def.target;
    // The native CloudFormation resource, not the L2 that deploys a Lambda custom resource; GitHub's
    // certificate chains to a root CA IAM trusts, so no thumbprint is needed.
    const providerArn =
      def.release.githubOidcProvider === 'existing'
        ? this.formatArn({ service: 'iam', region: '', resource: 'oidc-provider', resourceName: GITHUB_OIDC_HOST })
        : new iam.OidcProviderNative(this, 'GitHubOidc', { url: `https://${GITHUB_OIDC_HOST}`, clientIds: ['sts.amazonaws.com'] }).oidcProviderArn;
    const repository = this.formatArn({ service: 'ecr', resource: 'repository', resourceName: def.target.aws.registry.repository });
    const cluster = this.formatArn({ service: 'eks', resource: 'cluster', resourceName: eksTarget.cluster });

    const role = (duty: CiDuty, statements: iam.PolicyStatement[]) => {
      const r = new iam.Role(this, `${duty[0].toUpperCase()}${duty.slice(1)}Role`, {
        roleName: ciRoleName(def, duty),
        description: `GitHub Actions of ${def.release.repository}, environment ${def.release.environments[ENVIRONMENT_OF[duty]]}: ${duty}`,
        assumedBy: new iam.WebIdentityPrincipal(providerArn, {
          StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com', [`${GITHUB_OIDC_HOST}:sub`]: subjectOf(def, duty) },
        }),
      });
      statements.forEach((s) => r.addToPolicy(s));
      new CfnOutput(this, `${duty}RoleArn`, { value: r.roleArn });
      return r;
    };
    const ecrLogin = new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] });
    const loginReason: [string, string] = ['AwsSolutions-IAM5[Resource::*]', 'ecr:GetAuthorizationToken takes no resource ARN; image actions are limited to the one repository.'];

    // Build, push, wait for the scan, and on a tag promote the digest already pushed (a new tag on it).
    const image = role('image', [
      ecrLogin,
      new iam.PolicyStatement({ actions: [...ECR_PULL, ...ECR_PUSH, 'ecr:DescribeImages', 'ecr:DescribeImageScanFindings'], resources: [repository] }),
    ]);
    allow(image, [loginReason]);
    const hetzner = role('hetzner', [ecrLogin, new iam.PolicyStatement({ actions: ECR_PULL, resources: [repository] })]);
    allow(hetzner, [loginReason]);

    // deploy and shift: `aws eks update-kubeconfig` needs DescribeCluster; what they may do inside
    // the cluster is their Kubernetes group's Role (no EKS access policy: AmazonEKSAdminPolicy
    // covers neither keda.sh nor external-secrets.io, and would let the deploy job read Secrets).
    for (const duty of ['deploy', 'shift'] as const) {
      const r = role(duty, [new iam.PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [cluster] })]);
      new eks.CfnAccessEntry(this, `${r.node.id}Access`, { clusterName: eksTarget.cluster, principalArn: r.roleArn, type: 'STANDARD', kubernetesGroups: [kubernetesGroup(def, duty)] });
    }

    new GitHubRunner(this, 'Runner', def, vpc, clusterSecurityGroupId);
  }
}
