import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { spillway } from '../spillway';
import { renderMovePathBox, renderSwanctl } from './move-path';
import { composeDefinition, targetOf } from '../model/targets';

const vpc = targetOf(spillway, 'eks', 'eks').vpcCidr;
const files = renderMovePathBox(composeDefinition(spillway), vpc);
const a = spillway.movePath!.boxTunnelAddress;

describe('the move path, box side', () => {
  it('Postgres and Redis are published on the tunnel address only, in an override used during the move window', () => {
    const doc = parse(files['deploy/hetzner/move-path/compose.move-path.yml']) as { services: Record<string, { ports: string[] }> };
    expect(doc.services).toEqual({ postgres: { ports: [`${a}:5432:5432`] }, redis: { ports: [`${a}:6379:6379`] } });
  });

  it('the connection carries no key: it includes the root-only file setup.sh writes', () => {
    const conf = renderSwanctl(composeDefinition(spillway), vpc);
    expect(conf).not.toMatch(/^\s*secret\s*=/m);
    expect(conf).toMatch(/include \.\.\/private\/spillway-move\.secret/);
    expect(conf).toMatch(new RegExp(`local_ts = ${a}/32\\s+remote_ts = ${targetOf(spillway, 'eks', 'eks').vpcCidr}`));
  });

  it('the firewall drops new connections to the tunnel address that are not from the VPC through IPsec', () => {
    const fw = files['deploy/hetzner/move-path/firewall.sh'];
    expect(fw).toContain(`--ctorigdst ${a} --ctstate NEW -m policy --dir in --pol none -j DROP`);
    expect(fw).toContain(`--ctorigdst ${a} --ctstate NEW ! -s ${targetOf(spillway, 'eks', 'eks').vpcCidr} -j DROP`);
    expect(fw).toContain(`-d ${targetOf(spillway, 'eks', 'eks').vpcCidr} ! -s ${a} -j SNAT --to-source ${a}`);
  });

  it('setup.sh and firewall.sh parse as POSIX sh', () => {
    for (const name of ['setup.sh', 'firewall.sh']) {
      const r = spawnSync('sh', ['-n'], { input: files[`deploy/hetzner/move-path/${name}`], encoding: 'utf8' });
      expect([name, r.status, r.stderr]).toEqual([name, 0, '']);
    }
  });

  it('nothing is rendered when the definition has no movePath', () => {
    const { movePath: _, ...def } = spillway;
    expect(renderMovePathBox(composeDefinition(def as typeof spillway), vpc)).toEqual({});
  });
});
