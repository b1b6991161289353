// Services, the ALB Ingress (blue/green weighted) and NetworkPolicies (default deny, then what the
// definition allows).
import './esm-models'; // first: lets CommonJS resolve kubernetes-models' ESM-only exports
import { INetworkPolicyIngressRule, INetworkPolicyPeer, INetworkPolicyPort, Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Service } from 'kubernetes-models/v1';
import { HEALTH, ServiceSpec, EksDefinition } from '../model/definition';
import { EKS_REDIS_PORT } from '../model/redis';
import { publicSubnetCidrs } from '../model/subnets';
import { commonLabels, meta, selectorLabels, SLOT_LABEL, slotServiceName } from './names';

const SERVICE_PORT = 80;

/** The ALB's name, pinned (at most 32 characters): alarms and DNS name it instead of a generated one. */
export const albName = (def: EksDefinition, svc: ServiceSpec) => `${def.name}-${svc.name}`.slice(0, 32);

/** The EKS Pod Identity agent every pod with an AWS role asks for credentials (a node-local address). */
export const POD_IDENTITY_AGENT = { ipv4: '169.254.170.23/32', ipv6: 'fd00:ec2::23/128', port: 80 };
const SLOTS = ['blue', 'green'] as const;

export function services(def: EksDefinition, svc: ServiceSpec): Service[] {
  const port = { name: 'http', port: SERVICE_PORT, targetPort: 'http', protocol: 'TCP' as const };
  // Scrapers reach the absorber's metrics through the in-cluster Service; the slot Services (the
  // ALB's targets) carry only the API port, so /metrics is never behind the public listener.
  const scrape = svc.metricsPort ? [{ name: 'metrics', port: svc.metricsPort, targetPort: 'metrics', protocol: 'TCP' as const }] : [];
  const main = new Service({
    metadata: meta(def, svc.name, svc),
    spec: { type: 'ClusterIP', selector: selectorLabels(def, svc), ports: [port, ...scrape] },
  });
  if (!svc.public) return [main];
  // One Service per slot: the ALB forwards to both by weight, so a cutover is a weight change.
  const slots = SLOTS.map(
    (slot) =>
      new Service({
        metadata: meta(def, slotServiceName(svc, slot), svc),
        spec: { type: 'ClusterIP', selector: { ...selectorLabels(def, svc), [SLOT_LABEL]: slot }, ports: [port] },
      }),
  );
  return [main, ...slots];
}

export function ingress(def: EksDefinition, svc: ServiceSpec): Ingress {
  const eks = def.target;
  const action = `${svc.name}-weighted`;
  const forward = {
    type: 'forward',
    forwardConfig: {
      targetGroups: SLOTS.map((slot) => ({
        serviceName: slotServiceName(svc, slot),
        servicePort: String(SERVICE_PORT),
        weight: eks.weights[slot],
      })),
    },
  };
  return new Ingress({
    metadata: {
      ...meta(def, svc.name, svc),
      annotations: {
        'alb.ingress.kubernetes.io/load-balancer-name': albName(def, svc),
        'alb.ingress.kubernetes.io/scheme': 'internet-facing',
        'alb.ingress.kubernetes.io/target-type': 'ip',
        'alb.ingress.kubernetes.io/healthcheck-path': HEALTH.ready,
        'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP":80},{"HTTPS":443}]',
        'alb.ingress.kubernetes.io/ssl-redirect': '443',
        'alb.ingress.kubernetes.io/certificate-arn': eks.certificateArn,
        // Deregistration ends within the preStop pause, so no request reaches a closed listener.
        'alb.ingress.kubernetes.io/target-group-attributes': `deregistration_delay.timeout_seconds=${eks.preStopSeconds}`,
        [`alb.ingress.kubernetes.io/actions.${action}`]: JSON.stringify(forward),
      },
    },
    spec: {
      ingressClassName: 'alb',
      tls: [{ hosts: [eks.domain] }],
      rules: [
        {
          host: eks.domain,
          http: {
            paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: action, port: { name: 'use-annotation' } } } }],
          },
        },
      ],
    },
  });
}

export function baselinePolicies(def: EksDefinition): NetworkPolicy[] {
  const metadata = (name: string) => ({ name, namespace: def.target.namespace, labels: commonLabels(def) });
  return [
    new NetworkPolicy({
      metadata: metadata('default-deny'),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    }),
    new NetworkPolicy({
      metadata: metadata('allow-dns'),
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
                podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
              },
            ],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      },
    }),
    // With network policy enforced (vpc-cni enableNetworkPolicy), pods reach the Pod Identity agent
    // for their AWS credentials only if egress to it is allowed.
    new NetworkPolicy({
      metadata: metadata('allow-pod-identity-agent'),
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.ipv4 } }, { ipBlock: { cidr: POD_IDENTITY_AGENT.ipv6 } }],
            ports: [{ protocol: 'TCP', port: POD_IDENTITY_AGENT.port }],
          },
        ],
      },
    }),
  ];
}

const POSTGRES_PORT = 5432;

/**
 * The Prometheus that scrapes the pods (the scrape annotations): pods labelled
 * app.kubernetes.io/name=prometheus in the `monitoring` namespace, as kube-prometheus-stack and the
 * prometheus-community chart label them. The only peer allowed on a metrics port.
 */
export const PROMETHEUS_PEER: INetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
  podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
};

/** Who may open a service's port: the ALB's subnets for the public service, the VPC otherwise. */
function servicePortIngress(def: EksDefinition, svc: ServiceSpec): INetworkPolicyIngressRule[] {
  const port: INetworkPolicyPort[] = [{ protocol: 'TCP', port: svc.port }];
  const from: INetworkPolicyPeer[] = svc.public
    ? publicSubnetCidrs(def.target.vpcCidr, def.target.aws.availabilityZones.length).map((cidr) => ({ ipBlock: { cidr } }))
    : [{ ipBlock: { cidr: def.target.vpcCidr } }];
  const rules: INetworkPolicyIngressRule[] = [{ from, ports: port }];
  if (svc.metricsPort) rules.push({ from: [PROMETHEUS_PEER], ports: [{ protocol: 'TCP', port: svc.metricsPort }] });
  return rules;
}

/** What one service may receive and reach: its port from the VPC, its dependencies out. */
export function servicePolicy(def: EksDefinition, svc: ServiceSpec): NetworkPolicy {
  const vpc: INetworkPolicyPeer[] = [{ ipBlock: { cidr: def.target.vpcCidr } }];
  const egress: Array<{ to: INetworkPolicyPeer[]; ports: INetworkPolicyPort[] }> = [];
  // RDS lives in the VPC; whoever holds DATABASE_URL may reach it (the absorber does so for SQS's
  // idempotency keys without waiting for Postgres at start).
  if (svc.dependsOn.includes('postgres') || svc.secrets.includes('DATABASE_URL')) egress.push({ to: vpc, ports: [{ protocol: 'TCP', port: POSTGRES_PORT }] });
  // On BullMQ every service reaches its broker, ElastiCache, in the VPC (the cache stack admits the cluster's group only).
  if (def.target.broker.kind === 'bullmq') egress.push({ to: vpc, ports: [{ protocol: 'TCP', port: EKS_REDIS_PORT }] });
  // SQS and STS (IRSA) are public AWS endpoints on 443; VPC endpoints would narrow this.
  egress.push({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] });
  return new NetworkPolicy({
    metadata: meta(def, svc.name, svc),
    spec: {
      podSelector: { matchLabels: selectorLabels(def, svc) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: servicePortIngress(def, svc),
      egress,
    },
  });
}
