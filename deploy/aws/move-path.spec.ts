import { Match, Template } from 'aws-cdk-lib/assertions';
import { spillway as definition } from '../spillway';
import { eksDefinition } from '../model/targets';
import { buildAwsApp } from './app';

const spillway = eksDefinition(definition);

function stacks(def: typeof spillway): Record<string, Template> {
  return Object.fromEntries(buildAwsApp(def).stacks.map((s) => [s.stackName, Template.fromStack(s)]));
}

const on = stacks(spillway);
const box = `${spillway.movePath!.boxTunnelAddress}/32`;

describe('the move path, AWS side', () => {
  it('a VPN gateway on the VPC, the box as customer gateway, static route and selectors to its tunnel address only', () => {
    const t = on['spillway-move-path'];
    t.resourceCountIs('AWS::EC2::VPNGateway', 1);
    t.resourceCountIs('AWS::EC2::VPCGatewayAttachment', 1);
    t.hasResourceProperties('AWS::EC2::CustomerGateway', { IpAddress: spillway.movePath!.boxPublicIp, Type: 'ipsec.1' });
    t.hasResourceProperties('AWS::EC2::VPNConnection', { StaticRoutesOnly: true, LocalIpv4NetworkCidr: box, RemoteIpv4NetworkCidr: spillway.target.vpcCidr });
    t.hasResourceProperties('AWS::EC2::VPNConnectionRoute', { DestinationCidrBlock: box });
    // every private subnet (RDS, nodes, pods) routes the box to the gateway
    t.resourceCountIs('AWS::EC2::Route', spillway.target.aws.availabilityZones.length);
    t.allResourcesProperties('AWS::EC2::Route', { DestinationCidrBlock: box, GatewayId: { Ref: Match.anyValue() } });
  });

  it('the key is generated into Secrets Manager; both tunnels name it by dynamic reference, never its value', () => {
    const t = on['spillway-move-path'];
    t.hasResourceProperties('AWS::SecretsManager::Secret', { Name: spillway.movePath!.pskSecretName, GenerateSecretString: Match.objectLike({ ExcludeCharacters: '0', ExcludePunctuation: true }) });
    const vpn = Object.values(t.findResources('AWS::EC2::VPNConnection'))[0] as { Properties: { VpnTunnelOptionsSpecifications: { PreSharedKey: unknown; StartupAction: string }[] } };
    expect(vpn.Properties.VpnTunnelOptionsSpecifications).toHaveLength(2);
    for (const tunnel of vpn.Properties.VpnTunnelOptionsSpecifications) {
      expect(JSON.stringify(tunnel.PreSharedKey)).toMatch(/^\{"Fn::Join":\["",\["\{\{resolve:secretsmanager:",\{"Ref":"PreSharedKey\w+"\},":SecretString:::\}\}"\]\]\}$/);
      expect(tunnel.StartupAction).toBe('start');
    }
  });

  it("RDS's security group: the cluster, and the box's tunnel address in and out on 5432, nothing else", () => {
    const sg = Object.values(on['spillway-data'].findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: 'PostgreSQL from the EKS cluster only' } }))[0] as { Properties: { SecurityGroupIngress: Record<string, unknown>[]; SecurityGroupEgress: Record<string, unknown>[] } };
    expect(sg.Properties.SecurityGroupIngress.map((r) => r.CidrIp ?? 'cluster-sg')).toEqual(['cluster-sg', box]);
    expect(sg.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: box, FromPort: 5432, ToPort: 5432, IpProtocol: 'tcp' })]);
  });

  it('absent from the definition: no stack, and RDS admits only the cluster again', () => {
    const { movePath: _, ...def } = spillway;
    const off = stacks(def as typeof spillway);
    expect(off['spillway-move-path']).toBeUndefined();
    const sg = Object.values(off['spillway-data'].findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: 'PostgreSQL from the EKS cluster only' } }))[0] as { Properties: { SecurityGroupIngress: unknown[]; SecurityGroupEgress: { CidrIp: string }[] } };
    expect(sg.Properties.SecurityGroupIngress).toHaveLength(1);
    expect(sg.Properties.SecurityGroupEgress.map((r) => r.CidrIp)).toEqual(['255.255.255.255/32']);
  });
});
