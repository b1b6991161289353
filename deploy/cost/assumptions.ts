// What the capacity model assumes beyond the definition, the bench and the price table. Each is a
// stated estimate, shown in the report; change one here and `npm run synth` re-renders docs/cost/.
export const ASSUMPTIONS = {
  /** Bytes per ingest request through the ALB (a ~300-byte event, its headers, the 202 answer). */
  albBytesPerRequest: 1000,
  /** Bytes per event each way between the pods and SQS (the event, its envelope, request overhead). */
  sqsBytesPerEventEachWay: 600,
  /**
   * CloudWatch Logs a month: the control plane's five log types (the audit log is most of it), the
   * VPC's rejected-traffic flow log, and per pod (apps, add-ons, node agents; Fluent Bit ships
   * stdout; the apps log no line per request).
   */
  logs: { controlPlaneGb: 30, flowLogsGb: 3, perPodGb: 0.5 },
  /** Container Insights series (one observation a minute each): per node and per pod. */
  containerInsights: { seriesPerNode: 60, seriesPerPod: 25 },
  /** GB a month to AWS APIs other than SQS and CloudWatch: ECR's API (manifests), Secrets Manager, STS. */
  otherApiGb: { ecr: 1, secretsmanager: 0.1, sts: 0.1 },
  /** Image layers pulled a month, through the S3 gateway endpoint: each node pulls this many new images of this size. */
  imagePulls: { perNodePerMonth: 20, gb: 0.25 },
  /** Per node, before Spillway's pods: aws-node, kube-proxy, the Pod Identity agent. */
  nodeSystem: { cpuMillis: 150, memoryMiB: 300, pods: 4 },
  /** Once per cluster (requests): CoreDNS x2, LB controller x2, metrics-server, KEDA x3, external-secrets x3, cluster-autoscaler. */
  clusterAddons: { cpuMillis: 700, memoryMiB: 1100, pods: 12 },
  /**
   * A Lambda lane's function: the per-invocation overhead (start, Postgres transaction, SQS batch
   * answer) always; memory and batch only for a lane `--lambda` adds that the definition does not run on Lambda.
   */
  lambda: { memoryMiB: 512, batchSize: 10, invocationOverheadMs: 20 },
  /**
   * Seconds between scrapes of the pods' /metrics on EKS (the cluster's Prometheus, not in the
   * definition); each scrape of a pod on SQS reads the broker (deploy/cost/sqs-calls.ts).
   */
  eksScrapeSeconds: 30,
  /** Long polls AWS's Lambda pollers keep open on an idle queue per event source mapping (an estimate). */
  lambdaSqsPollers: 5,
} as const;

export const SECONDS_PER_MONTH = 730 * 3600;
