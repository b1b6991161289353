// The cluster add-ons the manifests need that AWS does not ship as EKS add-ons, as pinned Helm
// releases. `npm run deploy:eks -- --bootstrap` prints (and runs) exactly these commands; their
// IAM roles are in access.ts, bound to the ServiceAccounts named here.
//
// Pins checked against the charts' own repositories (the newest stored snapshot of each, read with
// git; the commit and date are on each line). The earlier pins (1.13.4, 3.12.2, 2.17.2, 0.18.2,
// 9.46.6) all existed but predate Kubernetes 1.35; the values keys used here were checked in each
// chart's values.yaml at the new pin. The Cluster Autoscaler chart moved to cluster-autoscaler/charts/.
import { EksDefinition } from '../model/definition';

export interface ServiceAccountRef {
  namespace: string;
  serviceAccount: string;
}

export const addonAccounts = {
  loadBalancerController: { namespace: 'kube-system', serviceAccount: 'aws-load-balancer-controller' },
  keda: { namespace: 'keda', serviceAccount: 'keda-operator' },
  externalSecrets: { namespace: 'external-secrets', serviceAccount: 'external-secrets' },
  clusterAutoscaler: { namespace: 'kube-system', serviceAccount: 'cluster-autoscaler' },
} satisfies Record<string, ServiceAccountRef>;

export interface HelmRelease {
  release: string;
  repo: { name: string; url: string };
  chart: string;
  /** Pinned chart version: an upgrade is a reviewed change of this line. */
  version: string;
  namespace: string;
  values: Record<string, string>;
  /** Only on managed node groups (Auto Mode brings its own load balancing and node scaling). */
  managedNodesOnly?: boolean;
  /** Releases installed before this one (bootstrap installs in this order). */
  after?: string[];
}

/** What the cluster's stacks tell the charts (deploy:aws's outputs): the controller reads no IMDS then. */
export interface ClusterFacts {
  vpcId: string;
}

/** Shown in place of the VPC id when deploy:aws has not written its outputs yet (dry runs only). */
export const VPC_ID_UNKNOWN = '<VpcId: run npm run deploy:aws first>';

// The Load Balancer Controller registers webhooks on every Service and Pod created later; it goes
// first, so a failed install of it is rolled back before the other charts create theirs.
const AFTER_LB = ['aws-load-balancer-controller'];

export function helmReleases(def: EksDefinition, facts: ClusterFacts = { vpcId: VPC_ID_UNKNOWN }): HelmRelease[] {
  const { cluster, region } = def.target;
  const sa = (ref: ServiceAccountRef) => ({ 'serviceAccount.create': 'true', 'serviceAccount.name': ref.serviceAccount });
  return [
    {
      release: 'aws-load-balancer-controller',
      repo: { name: 'eks', url: 'https://aws.github.io/eks-charts' },
      chart: 'eks/aws-load-balancer-controller',
      version: '3.5.0', // app v3.5.0: aws/eks-charts@5239609 (2026-08-03) stable/aws-load-balancer-controller/Chart.yaml
      namespace: addonAccounts.loadBalancerController.namespace,
      // vpcId and region given, the controller never asks the node's metadata service (IMDSv2 with
      // the hop limit of 1 AL2023 nodes keep, which a pod cannot reach): docs/aws.md.
      values: { clusterName: cluster, region, vpcId: facts.vpcId, ...sa(addonAccounts.loadBalancerController) },
      managedNodesOnly: true,
    },
    {
      release: 'metrics-server',
      after: AFTER_LB,
      repo: { name: 'metrics-server', url: 'https://kubernetes-sigs.github.io/metrics-server/' },
      chart: 'metrics-server/metrics-server',
      version: '3.13.1', // app 0.8.1: kubernetes-sigs/metrics-server@5ed5d3a (2026-08-04) charts/metrics-server/Chart.yaml
      namespace: 'kube-system',
      values: {},
    },
    {
      // >= 2.13: the `aws` pod identity provider the TriggerAuthentication uses.
      release: 'keda',
      after: AFTER_LB,
      repo: { name: 'kedacore', url: 'https://kedacore.github.io/charts' },
      chart: 'kedacore/keda',
      version: '2.20.2', // app 2.20.2: kedacore/charts@1444d00 (2026-08-13) keda/Chart.yaml
      namespace: addonAccounts.keda.namespace,
      values: { 'serviceAccount.operator.name': addonAccounts.keda.serviceAccount },
    },
    {
      release: 'external-secrets',
      after: AFTER_LB,
      repo: { name: 'external-secrets', url: 'https://charts.external-secrets.io' },
      chart: 'external-secrets/external-secrets',
      version: '2.9.0', // app v2.9.0: external-secrets/external-secrets@cc5bfbc (2026-08-08) deploy/charts/external-secrets/Chart.yaml
      namespace: addonAccounts.externalSecrets.namespace,
      values: { installCRDs: 'true', ...sa(addonAccounts.externalSecrets) },
    },
    {
      release: 'cluster-autoscaler',
      after: AFTER_LB,
      repo: { name: 'autoscaler', url: 'https://kubernetes.github.io/autoscaler' },
      chart: 'autoscaler/cluster-autoscaler',
      version: '9.59.0', // app 1.35.0: kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0 (2026-07-21) cluster-autoscaler/charts/cluster-autoscaler/Chart.yaml
      namespace: addonAccounts.clusterAutoscaler.namespace,
      values: {
        'autoDiscovery.clusterName': cluster,
        awsRegion: region,
        'rbac.serviceAccount.name': addonAccounts.clusterAutoscaler.serviceAccount,
        // The autoscaler's minor version must match the cluster's.
        'image.tag': `v${def.target.aws.cluster.kubernetesVersion}.0`,
      },
      managedNodesOnly: true,
    },
  ];
}

/** The releases for this definition's compute mode, each after the releases it names in `after`. */
export function installOrder(def: EksDefinition, facts?: ClusterFacts): HelmRelease[] {
  const releases = helmReleases(def, facts).filter((r) => !(r.managedNodesOnly && def.target.aws.cluster.compute === 'auto-mode'));
  const names = new Set(releases.map((r) => r.release));
  const done: HelmRelease[] = [];
  while (done.length < releases.length) {
    const next = releases.find((r) => !done.includes(r) && (r.after ?? []).every((a) => !names.has(a) || done.some((d) => d.release === a)));
    if (!next) throw new Error(`addons: the releases' "after" lists form a cycle among ${releases.filter((r) => !done.includes(r)).map((r) => r.release).join(', ')}`);
    done.push(next);
  }
  return done;
}

export const repoCommands = (releases: HelmRelease[]): string[][] => [
  ...[...new Map(releases.map((r) => [r.repo.name, r.repo.url])).entries()].map(([name, url]) => ['helm', 'repo', 'add', name, url, '--force-update']),
  ['helm', 'repo', 'update'],
];

export const installCommand = (r: HelmRelease): string[] => [
  'helm', 'upgrade', '--install', r.release, r.chart,
  '--version', r.version, '--namespace', r.namespace, '--create-namespace', '--wait',
  ...Object.entries(r.values).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
];

/** The helm commands, in install order, for this definition's compute mode. */
export function bootstrapCommands(def: EksDefinition, facts?: ClusterFacts): string[][] {
  const releases = installOrder(def, facts);
  return [...repoCommands(releases), ...releases.map(installCommand)];
}
