// What the EKS target's machines hold, for the full-scale check in capacity.ts. Every number names
// its source; a class or type missing here is refused by validation until a row is added.

/**
 * Memory (GiB) of each RDS class the definition may use. RDS PostgreSQL's default max_connections
 * is LEAST({DBInstanceClassMemory/9531392}, 5000) (RDS User Guide, "Maximum number of database
 * connections", CHAP_Limits.html#RDS_Limits.MaxConnections). DBInstanceClassMemory is this memory
 * less what RDS keeps for the OS, so the formula on it is an upper bound: a 4 GiB class answers 450
 * here and about 413 when asked (`SHOW max_connections` on db.t2.medium, 4 GiB).
 */
export const RDS_CLASS_MEMORY_GIB: Record<string, number> = {
  'db.t3.micro': 1,
  'db.t3.small': 2,
  'db.t3.medium': 4,
  'db.t3.large': 8,
  'db.t3.xlarge': 16,
  'db.t4g.micro': 1,
  'db.t4g.small': 2,
  'db.t4g.medium': 4,
  'db.t4g.large': 8,
  'db.m5.large': 8,
  'db.m6g.large': 8,
  'db.m6i.large': 8,
  'db.m7g.large': 8,
  'db.r6g.large': 16,
  'db.r7g.large': 16,
};

/**
 * Share of max_connections kept out of the apps' budget: the gap between the formula on the class's
 * memory and on DBInstanceClassMemory (about 8% on 4 GiB), RDS's reserved superuser slots, and the
 * operators' sessions (psql, `npm run db:move`, a migration run by hand).
 */
export const DB_CONNECTION_RESERVE = 0.2;

export function rdsMaxConnections(instanceClass: string): number | undefined {
  const gib = RDS_CLASS_MEMORY_GIB[instanceClass];
  return gib === undefined ? undefined : Math.min(Math.floor((gib * 2 ** 30) / 9531392), 5000);
}

/** An EC2 type as the kubelet sees it: vCPUs, nominal memory, and pods the VPC CNI gives it. */
interface NodeType {
  vcpus: number;
  memoryMiB: number;
  /** amazon-eks-ami nodeadm/internal/kubelet/eni-max-pods.txt (ENIs x (IPv4 per ENI - 1) + 2). */
  maxPods: number;
}

export const NODE_TYPES: Record<string, NodeType> = {
  't3.medium': { vcpus: 2, memoryMiB: 4096, maxPods: 17 },
  't3.large': { vcpus: 2, memoryMiB: 8192, maxPods: 35 },
  't3.xlarge': { vcpus: 4, memoryMiB: 16384, maxPods: 58 },
  'm5.large': { vcpus: 2, memoryMiB: 8192, maxPods: 29 },
  'm6i.large': { vcpus: 2, memoryMiB: 8192, maxPods: 29 },
};

/**
 * Share of nominal memory the kernel and firmware keep before the kubelet counts capacity
 * (Karpenter's VM_MEMORY_OVERHEAD_PERCENT default, 0.075, the same estimate).
 */
const VM_MEMORY_OVERHEAD = 0.075;

/**
 * What the scheduler may place on one node of an AL2023 EKS AMI (nodeadm
 * internal/kubelet/config.go): kubeReserved CPU 6% of the first core, 1% of the second, 0.5% of
 * cores 3-4, 0.25% above; kubeReserved memory 255 MiB + 11 MiB per max pod; evictionHard
 * memory.available 100Mi; no systemReserved. t3.medium: 1930m, 3247 MiB, 17 pods.
 */
export function nodeAllocatable(type: string): { cpuMillis: number; memoryMiB: number; pods: number } | undefined {
  const t = NODE_TYPES[type];
  if (!t) return undefined;
  const millis = t.vcpus * 1000;
  const band = (from: number, to: number, per10k: number) => Math.floor((Math.max(0, Math.min(millis, to) - from) * per10k) / 10000);
  const cpuReserved = band(0, 1000, 600) + band(1000, 2000, 100) + band(2000, 4000, 50) + band(4000, Infinity, 25);
  const capacityMiB = Math.floor(t.memoryMiB * (1 - VM_MEMORY_OVERHEAD));
  return { cpuMillis: millis - cpuReserved, memoryMiB: capacityMiB - (255 + 11 * t.maxPods) - 100, pods: t.maxPods };
}

/** Requests of one pod the cluster runs besides Spillway's, and where the numbers come from. */
export interface SystemPod {
  name: string;
  cpuMillis: number;
  memoryMiB: number;
  source: string;
}

/** One of each on every node of a managed node group (cluster stack add-ons). A chart that sets no request counts 0. */
export const NODE_DAEMONSETS: SystemPod[] = [
  { name: 'aws-node (vpc-cni)', cpuMillis: 25, memoryMiB: 0, source: 'aws/amazon-vpc-cni-k8s charts/aws-vpc-cni/values.yaml' },
  { name: 'kube-proxy', cpuMillis: 100, memoryMiB: 0, source: 'the EKS kube-proxy add-on DaemonSet' },
  { name: 'eks-pod-identity-agent', cpuMillis: 0, memoryMiB: 0, source: 'aws/eks-charts stable/eks-pod-identity-agent/values.yaml (resources {})' },
  { name: 'cloudwatch-agent', cpuMillis: 250, memoryMiB: 128, source: 'aws-observability/helm-charts@71a298f amazon-cloudwatch-observability values.yaml agent' },
  { name: 'fluent-bit', cpuMillis: 50, memoryMiB: 25, source: 'same, containerLogs.fluentBit' },
  { name: 'node-exporter', cpuMillis: 50, memoryMiB: 30, source: 'same, nodeExporter' },
];

/** Once per cluster: the add-ons' Deployments (cluster stack and `deploy:eks -- --bootstrap`), x replicas. */
export const CLUSTER_ADDON_PODS: Array<SystemPod & { replicas: number }> = [
  { name: 'coredns', replicas: 2, cpuMillis: 100, memoryMiB: 70, source: 'the EKS CoreDNS add-on Deployment' },
  { name: 'metrics-server', replicas: 1, cpuMillis: 100, memoryMiB: 200, source: 'kubernetes-sigs/metrics-server charts/metrics-server/values.yaml' },
  { name: 'keda (operator, metrics apiserver, webhooks)', replicas: 3, cpuMillis: 100, memoryMiB: 100, source: 'kedacore/charts@1444d00 keda/values.yaml (2.20.2)' },
  { name: 'external-secrets (controller, webhook, cert controller)', replicas: 3, cpuMillis: 0, memoryMiB: 0, source: 'chart sets none' },
  { name: 'aws-load-balancer-controller', replicas: 2, cpuMillis: 0, memoryMiB: 0, source: 'chart sets none' },
  { name: 'cluster-autoscaler', replicas: 1, cpuMillis: 0, memoryMiB: 0, source: 'chart sets none' },
  { name: 'cloudwatch agent operator', replicas: 1, cpuMillis: 100, memoryMiB: 64, source: 'amazon-cloudwatch-observability values.yaml manager' },
  { name: 'cloudwatch-agent-cluster-scraper', replicas: 1, cpuMillis: 250, memoryMiB: 128, source: "taken as the agent's own" },
];
