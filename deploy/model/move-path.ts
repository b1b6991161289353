// The network path between the Hetzner box and the AWS VPC for the move window (docs/move-path.md):
// an AWS Site-to-Site VPN (virtual private gateway, static routes) answered by strongSwan on the
// box. One crypto suite, read by both renderers (deploy/aws/move-path.ts, deploy/hetzner/move-path.ts).
import type { SpillwayDefinition } from './definition';
import { eksDefinition } from './targets';

export interface MovePath {
  /** The only kind rendered: AWS Site-to-Site VPN with strongSwan (IKEv2, PSK) on the box. */
  kind: 'site-to-site-vpn';
  /** The box's public IPv4: the customer gateway's address and the box's IKE identity. */
  boxPublicIp: string;
  /**
   * The box's address inside the tunnel (IPv4, private, outside the VPC CIDR). The box's Postgres and
   * Redis are published on it only, RDS admits it only, and the VPC routes it to the VPN gateway.
   */
  boxTunnelAddress: string;
  /** Secrets Manager secret (name) the stack generates the pre-shared key into; the box reads it once. */
  pskSecretName: string;
}

/** What both ends propose (AWS tunnel options and strongSwan proposals): AES-256, SHA2-256, DH group 14. */
export const MOVE_PATH_CRYPTO = {
  ikeVersion: 'ikev2',
  encryption: { aws: 'AES256', strongswan: 'aes256' },
  integrity: { aws: 'SHA2-256', strongswan: 'sha256' },
  dhGroup: { aws: 14, strongswan: 'modp2048' },
  ikeLifetimeSeconds: 28_800,
  childLifetimeSeconds: 3_600,
} as const;

/** The strongSwan proposal string for both IKE and ESP (PFS with the same group). */
export const STRONGSWAN_PROPOSAL = `${MOVE_PATH_CRYPTO.encryption.strongswan}-${MOVE_PATH_CRYPTO.integrity.strongswan}-${MOVE_PATH_CRYPTO.dhGroup.strongswan}`;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4ToInt(ip) / size) === Math.floor(ipv4ToInt(base) / size);
}

const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
const NOT_PUBLIC = [...PRIVATE, '0.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '224.0.0.0/3'];

/** Problems with `movePath`, each naming its field; none when the path is off (absent). */
export function movePathProblems(def: SpillwayDefinition): string[] {
  const path = def.movePath;
  if (!path) return [];
  const p: string[] = [];
  const vpc = eksDefinition(def).target.vpcCidr;
  if (path.kind !== 'site-to-site-vpn') p.push(`movePath.kind: "${path.kind}" is not rendered; the only kind is site-to-site-vpn (docs/move-path.md)`);
  if (!IPV4.test(path.boxPublicIp)) p.push(`movePath.boxPublicIp: "${path.boxPublicIp}" is not an IPv4 address`);
  else if (NOT_PUBLIC.some((c) => inCidr(path.boxPublicIp, c))) p.push(`movePath.boxPublicIp: ${path.boxPublicIp} is not a public address; AWS's VPN endpoints must reach the box there`);
  if (!IPV4.test(path.boxTunnelAddress)) p.push(`movePath.boxTunnelAddress: "${path.boxTunnelAddress}" is not an IPv4 address`);
  else {
    if (!PRIVATE.some((c) => inCidr(path.boxTunnelAddress, c))) p.push(`movePath.boxTunnelAddress: ${path.boxTunnelAddress} must be a private address (10/8, 172.16/12, 192.168/16)`);
    if (inCidr(path.boxTunnelAddress, vpc)) p.push(`movePath.boxTunnelAddress: ${path.boxTunnelAddress} is inside the VPC CIDR ${vpc}; the VPC could not route it to the tunnel`);
  }
  if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(path.pskSecretName)) p.push(`movePath.pskSecretName: "${path.pskSecretName}" is not a Secrets Manager name (A-Z a-z 0-9 / _ + = . @ -)`);
  return p;
}
