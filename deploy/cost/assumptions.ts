// What the capacity model assumes beyond the definition, the bench and the price table. Each is a
// stated estimate, shown in the report; change one here and `npm run synth` re-renders docs/cost/.
export const ASSUMPTIONS = {
  /** Bytes per ingest request through the ALB (a ~300-byte event, its headers, the 202 answer). */
  albBytesPerRequest: 1000,
  /** Bytes per event each way between the pods and SQS (the event, its envelope, request overhead). */
  sqsBytesPerEventEachWay: 600,
  /** Interface endpoints when `aws.network.vpcEndpoints` is on (SQS, ECR api+dkr, Secrets Manager, STS), one per AZ. */
  interfaceEndpoints: 5,
  /** Per node, before Spillway's pods: aws-node, kube-proxy, the Pod Identity agent. */
  nodeSystem: { cpuMillis: 150, memoryMiB: 300, pods: 4 },
  /** Once per cluster (requests): CoreDNS x2, LB controller x2, metrics-server, KEDA x3, external-secrets x3, cluster-autoscaler. */
  clusterAddons: { cpuMillis: 700, memoryMiB: 1100, pods: 12 },
  /**
   * A Lambda lane's function: the per-invocation overhead (start, Postgres transaction, SQS batch
   * answer) always; memory and batch only for a lane `--lambda` adds that the definition does not run on Lambda.
   */
  lambda: { memoryMiB: 512, batchSize: 10, invocationOverheadMs: 20 },
} as const;

export const SECONDS_PER_MONTH = 730 * 3600;
