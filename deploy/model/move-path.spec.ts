import { spillway } from '../spillway';
import { movePathProblems } from './move-path';
import { definitionProblems } from './validate';

const withPath = (over: Record<string, string>) => ({ ...spillway, movePath: { ...spillway.movePath!, ...over } }) as typeof spillway;

describe('movePath in the definition', () => {
  it('is optional, and the reference definition has a valid one', () => {
    const { movePath: _, ...off } = spillway;
    expect(movePathProblems(off)).toEqual([]);
    expect(movePathProblems(spillway)).toEqual([]);
  });

  it('names each wrong field, through the definition check', () => {
    expect(definitionProblems(withPath({ boxPublicIp: '10.1.2.3', boxTunnelAddress: '10.0.5.5', pskSecretName: 'bad name' }))).toEqual([
      'movePath.boxPublicIp: 10.1.2.3 is not a public address; AWS\'s VPN endpoints must reach the box there',
      'movePath.boxTunnelAddress: 10.0.5.5 is inside the VPC CIDR 10.0.0.0/16; the VPC could not route it to the tunnel',
      'movePath.pskSecretName: "bad name" is not a Secrets Manager name (A-Z a-z 0-9 / _ + = . @ -)',
    ]);
    expect(movePathProblems(withPath({ boxPublicIp: '203.0.113.300', boxTunnelAddress: '8.8.8.8', kind: 'wireguard' }))).toEqual([
      'movePath.kind: "wireguard" is not rendered; the only kind is site-to-site-vpn (docs/move-path.md)',
      'movePath.boxPublicIp: "203.0.113.300" is not an IPv4 address',
      'movePath.boxTunnelAddress: 8.8.8.8 must be a private address (10/8, 172.16/12, 192.168/16)',
    ]);
  });
});
