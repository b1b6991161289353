// The cutover's Route 53 steps through the real SDK against a Route 53 fake that enforces Route 53's
// rules (test/support/route53-fake.ts): adoption of the box's live simple record, the weight steps,
// rollback, the return to a simple record, and the fake refusing what Route 53 refuses.
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DnsEdge, listRecords, publishWeights, readState, returnToSimple } from '../deploy/cutover-dns';
import { answers, FakeRecord, Route53Fake } from './support/route53-fake';

const ZONE = 'Z0123456789ABCDEFGHIJ';
const edge: DnsEdge = { zoneId: ZONE, name: 'ingest.example.com', albDnsName: 'k8s-spillway-absorber-0123.eu-central-1.elb.amazonaws.com', albZoneId: 'Z215JYRZR1TBD5' };
const BOX: FakeRecord = { name: 'ingest.example.com.', type: 'A', ttl: 60, values: ['198.51.100.7'] };

describe('cutover DNS: the live record adopted through the Route 53 API', () => {
  let fake: Route53Fake;
  let client: Route53Client;
  const lines: string[] = [];
  const log = (l: string) => void lines.push(l);

  beforeEach(async () => {
    fake = new Route53Fake(ZONE);
    fake.seed([BOX, { name: 'other.example.com.', type: 'A', ttl: 300, values: ['192.0.2.1'] }]);
    const endpoint = await fake.start();
    client = new Route53Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' } });
  });
  afterEach(async () => {
    client.destroy();
    await fake.stop();
  });

  const weightsNow = async () => {
    const s = readState(await listRecords(client, edge), edge);
    return s.kind === 'weighted' ? { hetzner: s.box.Weight, eks: s.alb.Weight } : s.kind;
  };

  it('adopts the simple record in one batch (100/0, box health-checked, ALB alias), then moves the weights with UPSERTs; the name answers at every state', async () => {
    await publishWeights(client, edge, { hetzner: 90, eks: 10 }, log);
    const [adopt, step] = fake.batches;
    expect(adopt.refused).toBeUndefined();
    expect(adopt.changes.map((c) => `${c.action} ${c.record.setIdentifier ?? 'simple'} ${c.record.weight ?? ''}`)).toEqual(['DELETE simple ', 'CREATE hetzner 100', 'CREATE eks 0']);
    const [, box, alb] = adopt.changes.map((c) => c.record);
    expect(box).toEqual({ name: 'ingest.example.com.', type: 'A', setIdentifier: 'hetzner', weight: 100, ttl: 60, values: ['198.51.100.7'], healthCheckId: 'hc-1' });
    expect(alb.alias).toEqual({ zoneId: 'Z215JYRZR1TBD5', dnsName: `${edge.albDnsName}.`, evaluateTargetHealth: true });
    // The box's check reaches its own address as the ingest name, the way clients do.
    expect(fake.healthChecks.get('spillway-box-198.51.100.7-ingest.example.com.')?.config).toBe(
      '<Type>HTTPS</Type><IPAddress>198.51.100.7</IPAddress><Port>443</Port><ResourcePath>/health/ready</ResourcePath><FullyQualifiedDomainName>ingest.example.com</FullyQualifiedDomainName><RequestInterval>30</RequestInterval><FailureThreshold>3</FailureThreshold><EnableSNI>true</EnableSNI>',
    );
    expect(step.changes.map((c) => `${c.action} ${c.record.setIdentifier} ${c.record.weight}`)).toEqual(['UPSERT hetzner 90', 'UPSERT eks 10']);

    await publishWeights(client, edge, { hetzner: 50, eks: 50 }, log);
    await publishWeights(client, edge, { hetzner: 0, eks: 100 }, log);
    expect(await weightsNow()).toEqual({ hetzner: 0, eks: 100 });
    expect(fake.states).toHaveLength(5);
    for (const state of fake.states) expect(answers(state, edge.name)).toBe(true);
    // the unrelated record is never touched
    for (const state of fake.states) expect(state).toContainEqual({ name: 'other.example.com.', type: 'A', ttl: 300, values: ['192.0.2.1'] });
    expect(lines).toContain('dns: ingest.example.com adopted: simple record -> weighted pair (hetzner 100), box health check hc-1');
  });

  it('rolls back to 100/0, re-runs without a change, and a re-adoption reuses the health check', async () => {
    await publishWeights(client, edge, { hetzner: 50, eks: 50 }, log);
    await publishWeights(client, edge, { hetzner: 100, eks: 0 }, log);
    expect(await weightsNow()).toEqual({ hetzner: 100, eks: 0 });
    const before = fake.batches.length;
    await publishWeights(client, edge, { hetzner: 100, eks: 0 }, log);
    expect(fake.batches).toHaveLength(before);
    expect(lines.at(-1)).toBe('dns: ingest.example.com already hetzner 100 / eks 0');
    await returnToSimple(client, edge, 'hetzner', log);
    await publishWeights(client, edge, { hetzner: 100, eks: 0 }, log);
    expect(fake.healthChecks.size).toBe(1);
    for (const state of fake.states) expect(answers(state, edge.name)).toBe(true);
  });

  it('returns the end state to a simple record in one batch: the ALB alias, or the box record; refuses while the weight is split', async () => {
    await publishWeights(client, edge, { hetzner: 50, eks: 50 }, log);
    await expect(returnToSimple(client, edge, 'eks', log)).rejects.toThrow('ingest.example.com is hetzner 50 / eks 50: a simple record for eks needs eks at 100 first');
    await publishWeights(client, edge, { hetzner: 0, eks: 100 }, log);
    await returnToSimple(client, edge, 'eks', log);
    expect(fake.batches.at(-1)!.changes.map((c) => `${c.action} ${c.record.setIdentifier ?? 'simple'}`)).toEqual(['DELETE hetzner', 'DELETE eks', 'CREATE simple']);
    expect(fake.records.filter((r) => r.name === 'ingest.example.com.')).toEqual([
      { name: 'ingest.example.com.', type: 'A', alias: { zoneId: 'Z215JYRZR1TBD5', dnsName: `${edge.albDnsName}.`, evaluateTargetHealth: true } },
    ]);
    // back to the box from the ALB's simple record: the box's address must be given
    await expect(publishWeights(client, edge, { hetzner: 10, eks: 90 }, log)).rejects.toThrow('give --box-address');
    await publishWeights(client, edge, { hetzner: 100, eks: 0 }, log, '198.51.100.7');
    await returnToSimple(client, edge, 'hetzner', log);
    expect(fake.records.filter((r) => r.name === 'ingest.example.com.')).toEqual([BOX]);
    for (const state of fake.states) expect(answers(state, edge.name)).toBe(true);
  });

  it('the fake refuses what Route 53 refuses: weighted beside simple, a DELETE that does not match, and a bad batch changes nothing', async () => {
    const send = (changes: unknown[]) => client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: ZONE, ChangeBatch: { Changes: changes as never } }));
    const weighted = (id: string, weight: number) => ({ Name: 'ingest.example.com.', Type: 'A', SetIdentifier: id, Weight: weight, TTL: 60, ResourceRecords: [{ Value: '198.51.100.7' }] });
    // the pair without the DELETE: the non-atomic way (create first, delete later)
    await expect(send([{ Action: 'CREATE', ResourceRecordSet: weighted('hetzner', 100) }])).rejects.toThrow(/non-weighted set and cannot coexist with weighted sets/);
    // a DELETE whose TTL differs from the live record
    await expect(send([{ Action: 'DELETE', ResourceRecordSet: { Name: 'ingest.example.com.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '198.51.100.7' }] } }])).rejects.toThrow(
      /but the values provided do not match the current values/,
    );
    // a valid change and an invalid one in one batch: neither applied
    await expect(
      send([
        { Action: 'UPSERT', ResourceRecordSet: { Name: 'other.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.2' }] } },
        { Action: 'DELETE', ResourceRecordSet: { Name: 'gone.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.3' }] } },
      ]),
    ).rejects.toThrow(/Tried to delete resource record set \[name='gone.example.com.', type='A'\] but it was not found/);
    expect(fake.states).toHaveLength(1);
    expect(fake.batches.every((b) => b.refused)).toBe(true);
  });

  it('refuses to adopt a name that holds a CNAME or records it did not make, saying what it found', async () => {
    fake.seed([{ name: 'ingest.example.com.', type: 'CNAME', ttl: 60, values: ['spillway-1.example.com'] }]);
    await expect(publishWeights(client, edge, { hetzner: 90, eks: 10 }, log)).rejects.toThrow(/holds a CNAME record: the cutover adopts an A record/);
    fake.seed([{ ...BOX, setIdentifier: 'blue', weight: 1 }, { ...BOX, setIdentifier: 'green', weight: 1, values: ['198.51.100.8'] }]);
    await expect(publishWeights(client, edge, { hetzner: 90, eks: 10 }, log)).rejects.toThrow('set identifiers blue, green');
    expect(fake.batches).toEqual([]);
  });
});
