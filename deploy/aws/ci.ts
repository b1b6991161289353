// What the GitHub workflows assume (no long-lived keys): GitHub's OIDC provider and one role that
// trusts only tokens of `release.repository` issued to a job in one of its protected environments
// (`release`, `production`, `hetzner`; a fork or an unprotected branch gets a different `sub`).
// It may push to and pull from the one ECR repository and deploy to the app's namespace.
import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { SpillwayDefinition } from '../model/definition';
import { allow } from './nag';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

/** The `sub` claims the role accepts: one per protected environment of the repository. */
export function trustedSubjects(def: SpillwayDefinition): string[] {
  return Object.values(def.release.environments).map((env) => `repo:${def.release.repository}:environment:${env}`);
}

export class CiStack extends Stack {
  constructor(scope: Construct, id: string, def: SpillwayDefinition, props: StackProps) {
    super(scope, id, props);
    const eksTarget = def.targets.eks;
    // The native CloudFormation resource, not the L2 that deploys a Lambda custom resource; GitHub's
    // certificate chains to a root CA IAM trusts, so no thumbprint is needed.
    const provider = new iam.OidcProviderNative(this, 'GitHubOidc', { url: `https://${GITHUB_OIDC_HOST}`, clientIds: ['sts.amazonaws.com'] });
    const role = new iam.Role(this, 'ReleaseRole', {
      roleName: def.release.ciRoleName,
      description: `GitHub Actions of ${def.release.repository}, protected environments only`,
      assumedBy: new iam.WebIdentityPrincipal(provider.oidcProviderArn, {
        StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com', [`${GITHUB_OIDC_HOST}:sub`]: trustedSubjects(def) },
      }),
    });
    const repository = this.formatArn({ service: 'ecr', resource: 'repository', resourceName: def.aws.registry.repository });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage',
          'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:DescribeImages', 'ecr:DescribeImageScanFindings',
        ],
        resources: [repository],
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [this.formatArn({ service: 'eks', resource: 'cluster', resourceName: eksTarget.cluster })] }));
    allow(role, [['AwsSolutions-IAM5[Resource::*]', 'ecr:GetAuthorizationToken takes no resource ARN; pushes and pulls are limited to the one repository.']]);
    // Kubernetes rights in the app's namespace only: releases apply namespaced objects (deploy:eks,
    // run by an operator with the cluster stack's deploy role, made the namespace and the add-ons).
    new eks.CfnAccessEntry(this, 'ReleaseAccess', {
      clusterName: eksTarget.cluster,
      principalArn: role.roleArn,
      type: 'STANDARD',
      accessPolicies: [
        { policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy', accessScope: { type: 'namespace', namespaces: [eksTarget.namespace] } },
      ],
    });
    new CfnOutput(this, 'ReleaseRoleArn', { value: role.roleArn });
  }
}

/** The role ARN the workflows name: fixed by the definition, so no secret or variable holds it. */
export const releaseRoleArn = (def: SpillwayDefinition) => `arn:aws:iam::${def.targets.eks.accountId}:role/${def.release.ciRoleName}`;
