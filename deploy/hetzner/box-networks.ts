// The box's compose networks: a container joins only those holding what it talks to. Redis and
// Postgres sit on internal networks of their own, so Caddy, Grafana, Prometheus and the node
// exporter cannot reach them, and each data exporter reaches only its own target.
import { ServiceSpec } from '../model/definition';

/** `internal`: no route off the box; what needs one (Caddy's ACME, S3 uploads) joins `egress` or `edge`. */
export const BOX_NETWORKS = {
  edge: {},
  redis: { internal: true },
  postgres: { internal: true },
  metrics: {},
  egress: {},
} as const;

export type BoxNetwork = keyof typeof BOX_NETWORKS;

const FIXED: Record<string, BoxNetwork[]> = {
  redis: ['redis'],
  postgres: ['postgres'],
  'db-roles': ['postgres'],
  migrate: ['postgres'],
  backup: ['postgres', 'egress'],
  caddy: ['edge'],
  prometheus: ['metrics'],
  grafana: ['metrics'],
  'redis-exporter': ['redis', 'metrics'],
  'postgres-exporter': ['postgres', 'metrics'],
  'node-exporter': ['metrics'],
};

/** An app service: the stores it depends on, metrics for Prometheus, edge if public, egress for a worker's handlers. */
export function appNetworks(svc: ServiceSpec): BoxNetwork[] {
  const nets: BoxNetwork[] = [];
  if (svc.public) nets.push('edge');
  for (const dep of ['redis', 'postgres'] as const) if (svc.dependsOn.includes(dep)) nets.push(dep);
  nets.push('metrics');
  if (svc.role === 'worker') nets.push('egress');
  return nets;
}

/** Sets `networks` on every service; a service this file does not place stops the render. */
export function placeOnNetworks(services: Record<string, Record<string, unknown>>, apps: ServiceSpec[]): void {
  for (const [name, svc] of Object.entries(services)) {
    const app = apps.find((a) => a.name === name);
    const nets = app ? appNetworks(app) : FIXED[name];
    if (!nets) throw new Error(`compose service ${name} has no networks: add it to deploy/hetzner/box-networks.ts`);
    svc.networks = [...nets];
  }
}
