// IAM roles for pods through EKS Pod Identity: the role trusts the Pod Identity agent, and an
// association binds it to one namespace/ServiceAccount. No OIDC provider, so no custom resource.
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export function podIdentityRole(scope: Construct, id: string, managedPolicies: iam.IManagedPolicy[] = []): iam.Role {
  return new iam.Role(scope, id, {
    assumedBy: new iam.SessionTagsPrincipal(new iam.ServicePrincipal('pods.eks.amazonaws.com')),
    managedPolicies,
  });
}

/** A role for one ServiceAccount, with an inline policy of exactly `statements` (none when empty: a role that may do nothing). */
export function serviceAccountRole(
  scope: Construct,
  id: string,
  cluster: string,
  account: { namespace: string; serviceAccount: string },
  statements: iam.PolicyStatement[],
): iam.Role {
  const role = podIdentityRole(scope, id);
  if (statements.length) role.attachInlinePolicy(new iam.Policy(role, 'Policy', { statements }));
  new eks.CfnPodIdentityAssociation(role, 'Association', { clusterName: cluster, roleArn: role.roleArn, ...account });
  return role;
}
