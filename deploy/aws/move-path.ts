// The AWS side of the move path (docs/move-path.md): a virtual private gateway on the VPC, a
// customer gateway at the box's public IP, a Site-to-Site VPN connection with static routes to the
// box's tunnel address, and that address routed from the private subnets (where RDS and the pods
// are) to the gateway. The pre-shared key is generated into Secrets Manager; the template holds
// only a dynamic reference to it. Present only while the definition has `movePath`.
import { CfnOutput, SecretValue, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { EksDefinition } from '../model/definition';
import { MOVE_PATH_CRYPTO, MovePath } from '../model/move-path';
import { allow } from './nag';

/** The box's tunnel address as the one-host CIDR every rule and route names. */
export const boxTunnelCidr = (path: MovePath): string => `${path.boxTunnelAddress}/32`;

/**
 * RDS's security group during the move window: the box's tunnel address in (the shared-database
 * phase, `db:move` from the box) and out to the box's Postgres (`db:move --mode replicate`: RDS
 * subscribes to the box). Nothing else: the group keeps no other egress.
 */
export function admitMovePath(sg: ec2.SecurityGroup, def: EksDefinition, port: number): void {
  if (!def.movePath) return;
  const box = ec2.Peer.ipv4(boxTunnelCidr(def.movePath));
  sg.addIngressRule(box, ec2.Port.tcp(port), 'the box through the move path (docs/move-path.md)');
  sg.addEgressRule(box, ec2.Port.tcp(port), 'the box Postgres, for db:move --mode replicate');
}

export class MovePathStack extends Stack {
  constructor(scope: Construct, id: string, def: EksDefinition, vpc: ec2.IVpc, props: StackProps) {
    super(scope, id, props);
    const path = def.movePath!;
    const vgw = new ec2.CfnVPNGateway(this, 'VpnGateway', { type: 'ipsec.1', tags: [{ key: 'Name', value: `${def.name}-move` }] });
    const attachment = new ec2.CfnVPCGatewayAttachment(this, 'VpnGatewayAttachment', { vpcId: vpc.vpcId, vpnGatewayId: vgw.ref });
    const customer = new ec2.CfnCustomerGateway(this, 'BoxGateway', {
      type: 'ipsec.1',
      ipAddress: path.boxPublicIp,
      // Static routing: the ASN is not used, but the resource requires one (AWS's default).
      bgpAsn: 65000,
      tags: [{ key: 'Name', value: `${def.name}-box` }],
    });
    // AWS refuses a key that starts with 0 or holds anything but letters, digits, . and _.
    const psk = new secretsmanager.Secret(this, 'PreSharedKey', {
      secretName: path.pskSecretName,
      description: `${def.name}: IPsec pre-shared key of the box-to-VPC move path (both tunnels)`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true, excludeCharacters: '0' },
    });
    allow(psk, [['AwsSolutions-SMG4', 'The key lives only for the move window; rotating it means replacing both tunnels and the box key together (docs/move-path.md, "Closing").']]);
    const c = MOVE_PATH_CRYPTO;
    const tunnel = (): ec2.CfnVPNConnection.VpnTunnelOptionsSpecificationProperty => ({
      preSharedKey: SecretValue.secretsManager(psk.secretArn).unsafeUnwrap(),
      ikeVersions: [{ value: c.ikeVersion }],
      phase1EncryptionAlgorithms: [{ value: c.encryption.aws }],
      phase1IntegrityAlgorithms: [{ value: c.integrity.aws }],
      phase1DhGroupNumbers: [{ value: c.dhGroup.aws }],
      phase1LifetimeSeconds: c.ikeLifetimeSeconds,
      phase2EncryptionAlgorithms: [{ value: c.encryption.aws }],
      phase2IntegrityAlgorithms: [{ value: c.integrity.aws }],
      phase2DhGroupNumbers: [{ value: c.dhGroup.aws }],
      phase2LifetimeSeconds: c.childLifetimeSeconds,
      // AWS initiates and restarts after dead-peer detection: the box never needs AWS's addresses.
      startupAction: 'start',
      dpdTimeoutAction: 'restart',
    });
    const vpn = new ec2.CfnVPNConnection(this, 'VpnConnection', {
      type: 'ipsec.1',
      vpnGatewayId: vgw.ref,
      customerGatewayId: customer.ref,
      staticRoutesOnly: true,
      // The traffic selectors AWS proposes: the box's tunnel address <-> the VPC, nothing wider.
      localIpv4NetworkCidr: boxTunnelCidr(path),
      remoteIpv4NetworkCidr: def.target.vpcCidr,
      vpnTunnelOptionsSpecifications: [tunnel(), tunnel()],
      tags: [{ key: 'Name', value: `${def.name}-move` }],
    });
    new ec2.CfnVPNConnectionRoute(this, 'BoxRoute', { vpnConnectionId: vpn.ref, destinationCidrBlock: boxTunnelCidr(path) });
    // The private subnets hold RDS, the nodes and the pods: their replies to the box leave here.
    vpc.privateSubnets.forEach((subnet, i) => {
      const route = new ec2.CfnRoute(this, `BoxRoutePrivate${i + 1}`, { routeTableId: subnet.routeTable.routeTableId, destinationCidrBlock: boxTunnelCidr(path), gatewayId: vgw.ref });
      route.addResourceDependency(attachment);
    });
    new CfnOutput(this, 'VpnConnectionId', { value: vpn.ref, description: 'aws ec2 describe-vpn-connections --vpn-connection-ids <this>: tunnel state and AWS outside addresses' });
    new CfnOutput(this, 'PreSharedKeySecretArn', { value: psk.secretArn, description: 'the box reads it once into /etc/swanctl/private/ (docs/move-path.md)' });
    new CfnOutput(this, 'BoxTunnelAddress', { value: path.boxTunnelAddress, description: 'the box Postgres and Redis, from the VPC' });
  }
}
