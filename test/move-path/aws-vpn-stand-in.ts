// The AWS end of the move path, played by strongSwan. AWS's VPN endpoint cannot run here, so this
// reads the VPN connection from the rendered CloudFormation template (what deploys) and writes the
// swanctl connection that does what that endpoint is set to do: IKEv2 with the pre-shared key, the
// template's phase 1/2 algorithms and lifetimes, traffic selectors VPC CIDR (RemoteIpv4NetworkCidr)
// <-> the box (LocalIpv4NetworkCidr), the customer gateway's address as the only peer, and
// StartupAction start / DPDTimeoutAction restart as start_action start / dpd_action restart.
// One tunnel of the two: the second is the same with another outside address.
import { readFileSync } from 'node:fs';

type Cfn = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
type Tunnel = Record<string, unknown> & {
  IKEVersions: { Value: string }[];
  Phase1EncryptionAlgorithms: { Value: string }[];
  Phase1IntegrityAlgorithms: { Value: string }[];
  Phase1DHGroupNumbers: { Value: number }[];
  Phase2EncryptionAlgorithms: { Value: string }[];
  Phase2IntegrityAlgorithms: { Value: string }[];
  Phase2DHGroupNumbers: { Value: number }[];
  Phase1LifetimeSeconds: number;
  Phase2LifetimeSeconds: number;
  StartupAction?: string;
  DPDTimeoutAction?: string;
};

// AWS's names for the values its tunnel options accept, in strongSwan's spelling.
const ENCRYPTION: Record<string, string> = { AES128: 'aes128', AES256: 'aes256', 'AES128-GCM-16': 'aes128gcm16', 'AES256-GCM-16': 'aes256gcm16' };
const INTEGRITY: Record<string, string> = { SHA1: 'sha1', 'SHA2-256': 'sha256', 'SHA2-384': 'sha384', 'SHA2-512': 'sha512' };
const DH: Record<number, string> = { 2: 'modp1024', 14: 'modp2048', 15: 'modp3072', 16: 'modp4096', 19: 'ecp256', 20: 'ecp384', 21: 'ecp521' };

function one<T>(list: T[], what: string): T {
  if (list.length !== 1) throw new Error(`the stand-in plays one ${what}; the template lists ${list.length}`);
  return list[0];
}

function proposal(enc: { Value: string }[], integ: { Value: string }[], dh: { Value: number }[]): string {
  const e = ENCRYPTION[one(enc, 'encryption').Value];
  const i = INTEGRITY[one(integ, 'integrity').Value];
  const d = DH[one(dh, 'DH group').Value];
  if (!e || !i || !d) throw new Error(`the stand-in has no strongSwan name for ${JSON.stringify([enc, integ, dh])}`);
  return `${e}-${i}-${d}`;
}

export interface StandIn {
  /** swanctl.conf for the AWS end, the key in its secrets section. */
  swanctl: string;
  boxPublicIp: string;
  vpcCidr: string;
  boxCidr: string;
}

export function awsVpnStandIn(templatePath: string, outsideAddress: string, key: string): StandIn {
  const t = JSON.parse(readFileSync(templatePath, 'utf8')) as Cfn;
  const of = (type: string) => one(Object.values(t.Resources).filter((r) => r.Type === type), type).Properties;
  const vpn = of('AWS::EC2::VPNConnection');
  const boxPublicIp = of('AWS::EC2::CustomerGateway').IpAddress as string;
  const tunnel = (vpn.VpnTunnelOptionsSpecifications as Tunnel[])[0];
  if (one(tunnel.IKEVersions, 'IKE version').Value !== 'ikev2') throw new Error('the stand-in plays IKEv2 only');
  if (vpn.StaticRoutesOnly !== true) throw new Error('the stand-in plays static routing only');
  const vpcCidr = vpn.RemoteIpv4NetworkCidr as string;
  const boxCidr = vpn.LocalIpv4NetworkCidr as string;
  const ike = proposal(tunnel.Phase1EncryptionAlgorithms, tunnel.Phase1IntegrityAlgorithms, tunnel.Phase1DHGroupNumbers);
  const esp = proposal(tunnel.Phase2EncryptionAlgorithms, tunnel.Phase2IntegrityAlgorithms, tunnel.Phase2DHGroupNumbers);
  const swanctl = `connections {
  aws-tunnel-1 {
    version = 2
    local_addrs = ${outsideAddress}
    remote_addrs = ${boxPublicIp}
    proposals = ${ike}
    rekey_time = ${tunnel.Phase1LifetimeSeconds}s
    dpd_delay = 10s
    local {
      auth = psk
      id = ${outsideAddress}
    }
    remote {
      auth = psk
      id = ${boxPublicIp}
    }
    children {
      aws-tunnel-1 {
        local_ts = ${vpcCidr}
        remote_ts = ${boxCidr}
        esp_proposals = ${esp}
        rekey_time = ${tunnel.Phase2LifetimeSeconds}s
        start_action = ${tunnel.StartupAction === 'start' ? 'start' : 'none'}
        dpd_action = ${tunnel.DPDTimeoutAction === 'restart' ? 'restart' : 'clear'}
      }
    }
  }
}
secrets {
  ike-aws-tunnel-1 {
    id = ${boxPublicIp}
    secret = "${key}"
  }
}
`;
  return { swanctl, boxPublicIp, vpcCidr, boxCidr };
}
