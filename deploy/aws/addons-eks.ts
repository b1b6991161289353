// The AWS-managed EKS add-ons of the managed node group, each pinned to one version: an upgrade is
// a reviewed change of a line here, never EKS picking "latest" on a stack update. The pins are for
// one Kubernetes minor; the cluster stack refuses another (kube-proxy must match the control plane).
// Check a pin with: aws eks describe-addon-versions --kubernetes-version <minor> --addon-name <name>
// (docs/aws.md step 4). vpc-cni enables network policy enforcement, or the NetworkPolicies the EKS
// manifests render would be accepted and never enforced.

export const ADDON_PINS_FOR_KUBERNETES = '1.35';

export interface EksAddon {
  name: string;
  version: string;
  /** The add-on's configuration schema values (aws eks describe-addon-configuration). */
  configuration?: Record<string, unknown>;
}

export const NODE_GROUP_ADDONS: EksAddon[] = [
  { name: 'vpc-cni', version: 'v1.21.1-eksbuild.8', configuration: { enableNetworkPolicy: 'true' } },
  { name: 'kube-proxy', version: 'v1.35.0-eksbuild.2' },
  { name: 'coredns', version: 'v1.13.1-eksbuild.1' },
  { name: 'eks-pod-identity-agent', version: 'v1.3.10-eksbuild.2' },
];

export const OBSERVABILITY_ADDON: EksAddon = { name: 'amazon-cloudwatch-observability', version: 'v4.6.0-eksbuild.1' };

/** The pins' Kubernetes minor against the cluster's: a message naming both, or undefined. */
export function addonPinProblem(kubernetesVersion: string): string | undefined {
  return kubernetesVersion === ADDON_PINS_FOR_KUBERNETES
    ? undefined
    : `aws.cluster.kubernetesVersion is ${kubernetesVersion} but the EKS add-on pins in deploy/aws/addons-eks.ts are for ${ADDON_PINS_FOR_KUBERNETES}; move them with the version`;
}
