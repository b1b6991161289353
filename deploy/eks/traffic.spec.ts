// The ALB's pinned name and the Pod Identity agent's egress rule in the rendered traffic objects.
import { spillway as definition } from '../spillway';
import { eksDefinition } from '../model/targets';
import { albName, baselinePolicies, ingress, POD_IDENTITY_AGENT } from './traffic';

const spillway = eksDefinition(definition);

const absorber = spillway.services.find((s) => s.role === 'absorber')!;

describe('traffic objects', () => {
  it('the Ingress pins its ALB name (at most 32 characters)', () => {
    const name = ingress(spillway, absorber).metadata!.annotations!['alb.ingress.kubernetes.io/load-balancer-name'];
    expect(name).toBe('spillway-absorber');
    expect(name).toBe(albName(spillway, absorber));
    expect(albName({ ...spillway, name: 'x'.repeat(40) }, absorber)).toHaveLength(32);
  });

  it('every pod may reach the EKS Pod Identity agent (169.254.170.23:80) under the default deny', () => {
    const agent = baselinePolicies(spillway).find((p) => p.metadata!.name === 'allow-pod-identity-agent')!;
    expect(agent.spec!.podSelector).toEqual({});
    expect(agent.spec!.egress).toEqual([
      { to: [{ ipBlock: { cidr: '169.254.170.23/32' } }, { ipBlock: { cidr: 'fd00:ec2::23/128' } }], ports: [{ protocol: 'TCP', port: 80 }] },
    ]);
    expect(POD_IDENTITY_AGENT.port).toBe(80);
  });
});
