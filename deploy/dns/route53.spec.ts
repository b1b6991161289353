import { DefinitionError, validateDefinition } from '../model/validate';
import { spillway } from '../spillway';
import { dnsObject } from './route53';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const withWeights = (hetzner: number, eks: number) => ({ ...spillway, dns: { ...spillway.dns, weights: { hetzner, eks } } });

describe('Route 53 weighted records', () => {
  it('render one record per target with its weight from the definition', () => {
    const records = (dnsObject(withWeights(90, 10)) as Any).resource.aws_route53_record;
    expect(records.spillway_hetzner).toMatchObject({ set_identifier: 'hetzner', records: ['spillway-1.example.com'], weighted_routing_policy: [{ weight: 90 }] });
    expect(records.spillway_eks).toMatchObject({ set_identifier: 'eks', weighted_routing_policy: [{ weight: 10 }], name: 'ingest.example.com' });
  });

  it('refuse weights that do not add up to 100, naming the field', () => {
    expect(() => validateDefinition(withWeights(60, 60))).toThrow(DefinitionError);
    expect(() => validateDefinition(withWeights(60, 60))).toThrow(/dns.weights: hetzner \+ eks must be 100/);
    expect(() => validateDefinition(withWeights(-1, 101))).toThrow(/dns.weights.hetzner: an integer from 0 to 100/);
  });
});
