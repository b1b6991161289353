// The VPC's subnet sizes, one place for the CDK network (deploy/aws/network.ts) and the
// NetworkPolicies that name the ALB's subnets (deploy/eks/traffic.ts).

export const SUBNET_MASKS = { public: 20, private: 18 } as const;

const toInt = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
const toIp = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

/**
 * The public subnets' CIDRs, one per availability zone, as CDK allocates them: the public blocks
 * first, back to back from the start of the VPC's range (deploy/aws stacks.spec.ts checks the two agree).
 */
export function publicSubnetCidrs(vpcCidr: string, zones: number): string[] {
  const base = toInt(vpcCidr.split('/')[0]);
  const size = 2 ** (32 - SUBNET_MASKS.public);
  return Array.from({ length: zones }, (_, i) => `${toIp(base + i * size)}/${SUBNET_MASKS.public}`);
}
