// The whole `npm run cutover` (in-process: runCutover) with no --apply: its steps go to Route 53 (a fake speaking the REST/XML
// protocol, test/support/route53-fake.ts) through ROUTE53_ENDPOINT, from the box's live simple record
// to the ALB's simple record with --end-simple, and back to the box.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttp, Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, Server } from 'node:tls';
import { spillway } from '../deploy/spillway';
import { cutoverInProcess } from './support/cutover';
import { ensureSqsQueues } from './support/drivers';
import { uniquePrefix } from './support/env';
import { answers, Route53Fake } from './support/route53-fake';

async function listen<T extends Server | HttpServer>(server: T): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

describe('npm run cutover publishes its steps through the Route 53 API', { timeout: 120_000 }, () => {
  const servers: Array<Server | HttpServer> = [];
  const fake = new Route53Fake(spillway.dns.zoneId);
  afterAll(async () => {
    await fake.stop();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('adopts the live record, steps to eks, ends with the ALB alias as a simple record; --to hetzner with --box-address returns to the box', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'box-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '90', '-subj', `/CN=${spillway.dns.name}`, '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    const box = createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (s) => s.end());
    const ready = () => createHttp((req, res) => ((res.statusCode = req.url === '/health/ready' ? 200 : 404), res.setHeader('connection', 'close'), res.end()));
    const [h, e] = [ready(), ready()];
    servers.push(box, h, e);
    const [boxPort, hPort, ePort] = [await listen(box), await listen(h), await listen(e)];
    const BOX = { name: `${spillway.dns.name}.`, type: 'A', ttl: 60, values: ['198.51.100.7'] };
    fake.seed([BOX]);
    const endpoint = await fake.start();
    const env = { QUEUE_PREFIX: uniquePrefix('cutover-r53'), ROUTE53_ENDPOINT: endpoint };
    await ensureSqsQueues({ ...env, QUEUE_DRIVER: 'sqs' });
    const root = mkdtempSync(join(tmpdir(), 'spillway-cutover-'));
    mkdirSync(join(root, 'deploy'));
    writeFileSync(join(root, 'deploy/traffic.json'), JSON.stringify({ hetzner: 100, eks: 0 }));
    const weighted = (to: string, ...extra: string[]) =>
      cutoverInProcess(['--to', to, '--steps', '50,100', '--hold', '0', '--root', root,
        '--hetzner-url', `http://127.0.0.1:${hPort}`, '--eks-url', `http://127.0.0.1:${ePort}`, '--box-tls', `127.0.0.1:${boxPort}`,
        '--hetzner-metrics-url', 'http://127.0.0.1:9/metrics', '--eks-metrics-url', 'http://127.0.0.1:9/metrics', '--drain-window', '1', ...extra], env);
    const cutover = (to: string, ...extra: string[]) => weighted(to, '--end-simple', ...extra);

    const there = await cutover('eks');
    expect(there.code).toBe(0);
    expect(there.stdout).toContain(`dns: ${spillway.dns.name} adopted: simple record -> weighted pair (hetzner 100), box health check hc-1`);
    expect(there.stdout).toContain(`dns: ${spillway.dns.name} now hetzner 50 / eks 50`);
    expect(there.stdout).toContain(`dns: ${spillway.dns.name} is a simple record for eks again`);
    expect(fake.batches.map((b) => b.changes.map((c) => `${c.action} ${c.record.setIdentifier ?? 'simple'}${c.record.weight === undefined ? '' : ` ${c.record.weight}`}`).join(', '))).toEqual([
      'DELETE simple, CREATE hetzner 100, CREATE eks 0',
      'UPSERT hetzner 50, UPSERT eks 50',
      'UPSERT hetzner 0, UPSERT eks 100',
      'DELETE hetzner 0, DELETE eks 100, CREATE simple',
    ]);
    expect(fake.records).toEqual([{ name: BOX.name, type: 'A', alias: { zoneId: 'Z215JYRZR1TBD5', dnsName: `${spillway.dns.records.eks}.`, evaluateTargetHealth: true } }]);
    expect(JSON.parse(readFileSync(join(root, 'deploy/traffic.json'), 'utf8'))).toEqual({ hetzner: 0, eks: 100 });

    const back = await cutover('hetzner', '--box-address', '198.51.100.7');
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(`dns: ${spillway.dns.name} adopted: simple record -> weighted pair (eks 100), box health check hc-1`);
    expect(fake.records).toEqual([BOX]);
    for (const state of fake.states) expect(answers(state, spillway.dns.name)).toBe(true);
    expect(fake.batches.every((b) => !b.refused)).toBe(true);

    // preflight reads the records: a name it cannot adopt stops the run before any step
    fake.seed([{ name: BOX.name, type: 'CNAME', ttl: 60, values: ['spillway-1.example.com'] }]);
    const before = fake.batches.length;
    const refused = await cutover('eks');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`cutover: preflight failed:\n  dns: ${spillway.dns.name} holds a CNAME record: the cutover adopts an A record`);
    expect(fake.batches).toHaveLength(before);

    // Without --end-simple (the default): the API path still publishes every step, and the pair stays weighted.
    fake.seed([BOX]);
    const kept = await weighted('eks');
    expect([kept.code, kept.stderr]).toEqual([0, '']);
    expect(kept.stdout).toContain(`dns: ${spillway.dns.name} now hetzner 50 / eks 50`);
    expect(kept.stdout).not.toContain('simple record for eks again');
    expect(fake.records.map((r) => `${r.setIdentifier} ${r.weight}`).sort()).toEqual(['eks 100', 'hetzner 0']);
  });
});
