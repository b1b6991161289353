// The cluster add-ons the manifests need that AWS does not ship as EKS add-ons, as pinned Helm
// releases. `npm run deploy:eks -- --bootstrap` prints (and runs) exactly these commands; their
// IAM roles are in access.ts, bound to the ServiceAccounts named here.
//
// Pins checked against the charts' own repositories (the newest stored snapshot of each, read with
// git; the commit and date are on each line). The earlier pins (1.13.4, 3.12.2, 2.17.2, 0.18.2,
// 9.46.6) all existed but predate Kubernetes 1.35; the values keys used here were checked in each
// chart's values.yaml at the new pin. The Cluster Autoscaler chart moved to cluster-autoscaler/charts/.
import { SpillwayDefinition } from '../model/definition';

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
}

export function helmReleases(def: SpillwayDefinition): HelmRelease[] {
  const { cluster, region } = def.targets.eks;
  const sa = (ref: ServiceAccountRef) => ({ 'serviceAccount.create': 'true', 'serviceAccount.name': ref.serviceAccount });
  return [
    {
      release: 'aws-load-balancer-controller',
      repo: { name: 'eks', url: 'https://aws.github.io/eks-charts' },
      chart: 'eks/aws-load-balancer-controller',
      version: '3.5.0', // app v3.5.0: aws/eks-charts@5239609 (2026-08-03) stable/aws-load-balancer-controller/Chart.yaml
      namespace: addonAccounts.loadBalancerController.namespace,
      values: { clusterName: cluster, region, ...sa(addonAccounts.loadBalancerController) },
      managedNodesOnly: true,
    },
    {
      release: 'metrics-server',
      repo: { name: 'metrics-server', url: 'https://kubernetes-sigs.github.io/metrics-server/' },
      chart: 'metrics-server/metrics-server',
      version: '3.13.1', // app 0.8.1: kubernetes-sigs/metrics-server@5ed5d3a (2026-08-04) charts/metrics-server/Chart.yaml
      namespace: 'kube-system',
      values: {},
    },
    {
      // >= 2.13: the `aws` pod identity provider the TriggerAuthentication uses.
      release: 'keda',
      repo: { name: 'kedacore', url: 'https://kedacore.github.io/charts' },
      chart: 'kedacore/keda',
      version: '2.20.2', // app 2.20.2: kedacore/charts@1444d00 (2026-08-13) keda/Chart.yaml
      namespace: addonAccounts.keda.namespace,
      values: { 'serviceAccount.operator.name': addonAccounts.keda.serviceAccount },
    },
    {
      release: 'external-secrets',
      repo: { name: 'external-secrets', url: 'https://charts.external-secrets.io' },
      chart: 'external-secrets/external-secrets',
      version: '2.9.0', // app v2.9.0: external-secrets/external-secrets@cc5bfbc (2026-08-08) deploy/charts/external-secrets/Chart.yaml
      namespace: addonAccounts.externalSecrets.namespace,
      values: { installCRDs: 'true', ...sa(addonAccounts.externalSecrets) },
    },
    {
      release: 'cluster-autoscaler',
      repo: { name: 'autoscaler', url: 'https://kubernetes.github.io/autoscaler' },
      chart: 'autoscaler/cluster-autoscaler',
      version: '9.59.0', // app 1.35.0: kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0 (2026-07-21) cluster-autoscaler/charts/cluster-autoscaler/Chart.yaml
      namespace: addonAccounts.clusterAutoscaler.namespace,
      values: {
        'autoDiscovery.clusterName': cluster,
        awsRegion: region,
        'rbac.serviceAccount.name': addonAccounts.clusterAutoscaler.serviceAccount,
        // The autoscaler's minor version must match the cluster's.
        'image.tag': `v${def.aws.cluster.kubernetesVersion}.0`,
      },
      managedNodesOnly: true,
    },
  ];
}

/** The helm commands, in install order, for this definition's compute mode. */
export function bootstrapCommands(def: SpillwayDefinition): string[][] {
  const releases = helmReleases(def).filter((r) => !(r.managedNodesOnly && def.aws.cluster.compute === 'auto-mode'));
  const repos = releases.map((r) => ['helm', 'repo', 'add', r.repo.name, r.repo.url, '--force-update']);
  const installs = releases.map((r) => [
    'helm', 'upgrade', '--install', r.release, r.chart,
    '--version', r.version, '--namespace', r.namespace, '--create-namespace', '--wait',
    ...Object.entries(r.values).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
  ]);
  return [...repos, ['helm', 'repo', 'update'], ...installs];
}
