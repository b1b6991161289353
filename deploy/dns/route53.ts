// Route 53 weighted records for the public host, one per target, from the definition's dns
// section: the DNS half of a Hetzner <-> EKS cutover (the ALB's blue/green weights are the other,
// EKS-internal, half).
import { SpillwayDefinition, TrafficWeights } from '../model/definition';

type Obj = Record<string, unknown>;

export function dnsObject(def: SpillwayDefinition): Obj {
  const dns = def.dns;
  const record = (side: keyof TrafficWeights, target: string) => ({
    zone_id: dns.zoneId,
    name: dns.name,
    type: 'CNAME',
    ttl: dns.ttl,
    set_identifier: side,
    records: [target],
    weighted_routing_policy: [{ weight: dns.weights[side] }],
  });
  return {
    provider: { aws: [{ region: 'us-east-1' }] },
    resource: {
      aws_route53_record: {
        [`${def.name}_hetzner`]: record('hetzner', dns.hetznerTarget),
        [`${def.name}_eks`]: record('eks', dns.eksTarget),
      },
    },
  };
}

export function renderDns(def: SpillwayDefinition): string {
  return `${JSON.stringify(dnsObject(def), null, 2)}\n`;
}
