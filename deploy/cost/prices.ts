// The dated price table `npm run cost` and docs/cost/ read. List prices, on demand, no free tier,
// no savings plans, taxes excluded; 730 hours a month. Recorded by hand from the vendors' pricing
// pages below (not fetched at run time: the tool must give the same answer offline and in CI).
// Re-check them before a decision; change a price here and `npm run synth` re-renders docs/cost/.

export const PRICES_AS_OF = '2025-06-01';
export const HOURS_PER_MONTH = 730;

export const PRICE_SOURCES = [
  'https://aws.amazon.com/eks/pricing/',
  'https://aws.amazon.com/ec2/pricing/on-demand/',
  'https://aws.amazon.com/ebs/pricing/',
  'https://aws.amazon.com/vpc/pricing/ (NAT gateway, interface endpoints)',
  'https://aws.amazon.com/elasticloadbalancing/pricing/ (ALB, LCU)',
  'https://aws.amazon.com/rds/postgresql/pricing/',
  'https://aws.amazon.com/sqs/pricing/',
  'https://aws.amazon.com/elasticache/pricing/ (Redis OSS on-demand nodes; an EKS target on BullMQ)',
  'https://aws.amazon.com/lambda/pricing/',
  'https://aws.amazon.com/rds/proxy/pricing/',
  'https://aws.amazon.com/vpc/pricing/ (public IPv4 addresses)',
  'https://aws.amazon.com/cloudwatch/pricing/ (logs, Container Insights, alarms, dashboards)',
  'https://www.hetzner.com/cloud/ (Germany; IPv4, backups, Object Storage)',
];

export interface InstanceType {
  hourlyUsd: number;
  vcpus: number;
  memoryMiB: number;
  /** What the kubelet offers pods after its own reservations (EKS AMI defaults). */
  allocatable: { cpuMillis: number; memoryMiB: number };
  /** Pods per node with the VPC CNI (ENIs x IPs per ENI). */
  maxPods: number;
}

export interface AwsRegionPrices {
  eksClusterHourly: number;
  instances: Record<string, InstanceType>;
  ebsGp3GbMonth: number;
  natGatewayHourly: number;
  natGatewayPerGb: number;
  /** One interface endpoint in one AZ, and its data processing. */
  interfaceEndpointHourly: number;
  interfaceEndpointPerGb: number;
  albHourly: number;
  albLcuHourly: number;
  /** RDS for PostgreSQL, per instance hour; Multi-AZ (one standby) is twice the single-AZ rate. */
  rdsHourly: Record<string, number>;
  /** gp3 storage per GB-month, single-AZ (Multi-AZ pays it twice). */
  rdsGp3GbMonth: number;
  sqsStandardPerMillion: number;
  sqsFifoPerMillion: number;
  /** ElastiCache (Redis OSS) on-demand, per node hour, by node type: an EKS target whose broker is BullMQ. */
  elasticacheHourly: Record<string, number>;
  lambdaPerMillionRequests: number;
  /** x86_64. */
  lambdaPerGbSecond: number;
  /** arm64 (Graviton), about 20% less. */
  lambdaArmPerGbSecond: number;
  /** RDS Proxy, per vCPU of the instance behind it per hour (the Lambda lanes' way in). */
  rdsProxyPerVcpuHour: number;
  /** vCPUs of each RDS instance class (what RDS Proxy bills by). */
  rdsVcpus: Record<string, number>;
  /** Each public IPv4 address (in use or not), per hour. */
  publicIpv4Hourly: number;
  /** CloudWatch Logs ingestion (standard class), per GB. */
  logsIngestPerGb: number;
  /** Container Insights with enhanced observability (the add-on's default), per million observations. */
  containerInsightsPerMillionObservations: number;
  /** A standard-resolution metric alarm, per month. */
  alarmMonthly: number;
  /** A CloudWatch dashboard, per month. */
  dashboardMonthly: number;
  /** Not sized by this model: KMS, Secrets Manager, Route 53, ECR storage, S3 (light use). */
  flatMonthly: Record<string, number>;
}

const T3_MEDIUM = { vcpus: 2, memoryMiB: 4096, allocatable: { cpuMillis: 1930, memoryMiB: 3380 }, maxPods: 17 };

export const AWS_PRICES: Record<string, AwsRegionPrices> = {
  'us-east-1': {
    eksClusterHourly: 0.1,
    instances: { 't3.medium': { hourlyUsd: 0.0416, ...T3_MEDIUM } },
    ebsGp3GbMonth: 0.08,
    natGatewayHourly: 0.045,
    natGatewayPerGb: 0.045,
    interfaceEndpointHourly: 0.01,
    interfaceEndpointPerGb: 0.01,
    albHourly: 0.0225,
    albLcuHourly: 0.008,
    rdsHourly: { 'db.t3.medium': 0.072 },
    rdsGp3GbMonth: 0.115,
    sqsStandardPerMillion: 0.4,
    sqsFifoPerMillion: 0.5,
    // Not read off the pricing page when added (no network then): the list rates as known, to re-check.
    elasticacheHourly: { 'cache.t4g.micro': 0.016, 'cache.t4g.small': 0.032, 'cache.t4g.medium': 0.065, 'cache.m7g.large': 0.158 },
    lambdaPerMillionRequests: 0.2,
    lambdaPerGbSecond: 0.0000166667,
    lambdaArmPerGbSecond: 0.0000133334,
    rdsProxyPerVcpuHour: 0.015,
    rdsVcpus: { 'db.t3.medium': 2 },
    publicIpv4Hourly: 0.005,
    logsIngestPerGb: 0.5,
    containerInsightsPerMillionObservations: 0.21,
    alarmMonthly: 0.1,
    dashboardMonthly: 3,
    flatMonthly: { 'KMS, Secrets Manager, Route 53, ECR, S3': 12 },
  },
  'eu-central-1': {
    eksClusterHourly: 0.1,
    instances: { 't3.medium': { hourlyUsd: 0.048, ...T3_MEDIUM } },
    ebsGp3GbMonth: 0.0952,
    natGatewayHourly: 0.052,
    natGatewayPerGb: 0.052,
    interfaceEndpointHourly: 0.012,
    interfaceEndpointPerGb: 0.01,
    albHourly: 0.027,
    albLcuHourly: 0.008,
    rdsHourly: { 'db.t3.medium': 0.079 },
    rdsGp3GbMonth: 0.137,
    sqsStandardPerMillion: 0.4,
    sqsFifoPerMillion: 0.5,
    // Frankfurt's node rates, about 12% over us-east-1's. Not read off the pricing page when added
    // (no network then): the list rates as known, to re-check before a decision.
    elasticacheHourly: { 'cache.t4g.micro': 0.018, 'cache.t4g.small': 0.036, 'cache.t4g.medium': 0.073, 'cache.m7g.large': 0.177 },
    lambdaPerMillionRequests: 0.2,
    lambdaPerGbSecond: 0.0000166667,
    lambdaArmPerGbSecond: 0.0000133334,
    // Taken as us-east-1's: not re-checked for this region.
    rdsProxyPerVcpuHour: 0.015,
    rdsVcpus: { 'db.t3.medium': 2 },
    publicIpv4Hourly: 0.005,
    logsIngestPerGb: 0.63,
    // Taken as us-east-1's: not re-checked for this region.
    containerInsightsPerMillionObservations: 0.21,
    alarmMonthly: 0.1,
    dashboardMonthly: 3,
    flatMonthly: { 'KMS, Secrets Manager, Route 53, ECR, S3': 13 },
  },
};

export interface HetznerPrices {
  /** Monthly cap of each server type (EUR, excl. VAT), with its size. */
  servers: Record<string, { monthlyEur: number; vcpus: number; memoryMiB: number }>;
  primaryIpv4MonthlyEur: number;
  /** Automatic server backups: this share of the server's price. */
  backupShare: number;
  /** Object Storage base price (includes 1 TB stored and 1 TB egress): the database dumps' bucket. */
  objectStorageMonthlyEur: number;
  /** German VAT, for comparing with prices quoted VAT included. */
  vat: number;
}

export const HETZNER_PRICES: HetznerPrices = {
  servers: {
    CX22: { monthlyEur: 3.79, vcpus: 2, memoryMiB: 4096 },
    CX32: { monthlyEur: 6.8, vcpus: 4, memoryMiB: 8192 },
    CX42: { monthlyEur: 16.4, vcpus: 8, memoryMiB: 16384 },
    CX52: { monthlyEur: 32.4, vcpus: 16, memoryMiB: 32768 },
  },
  primaryIpv4MonthlyEur: 0.5,
  backupShare: 0.2,
  objectStorageMonthlyEur: 4.99,
  vat: 0.19,
};

/** ECB reference rate, rounded, on PRICES_AS_OF. */
export const USD_PER_EUR = 1.14;
