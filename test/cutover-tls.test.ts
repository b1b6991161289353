// The cutover's preflight reads the box's TLS certificate with a real handshake, here against a
// local TLS server holding a self-made certificate (openssl) that expires soon or not.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttp, Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, Server } from 'node:tls';
import { boxCertificateCheck, certificateDaysLeft } from '../deploy/cutover-tls';
import { cutoverInProcess } from './support/cutover';
import { ensureSqsQueues } from './support/drivers';
import { uniquePrefix } from './support/env';

/** A TLS listener on 127.0.0.1 whose certificate for ingest.example.com expires in `days`. */
async function tlsBox(days: number): Promise<{ port: number; server: Server }> {
  const dir = mkdtempSync(join(tmpdir(), 'box-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', String(days), '-subj', '/CN=ingest.example.com', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server };
}

async function ready(): Promise<{ url: string; server: HttpServer }> {
  const server = createHttp((req, res) => {
    res.statusCode = req.url === '/health/ready' ? 200 : 404;
    res.setHeader('connection', 'close');
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

describe("cutover preflight: the box's TLS certificate", { timeout: 90_000 }, () => {
  const servers: Array<Server | HttpServer> = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

  it('reads the days left from a real handshake; refuses under 30 days saying why; warns when nothing answers', async () => {
    const [soon, later] = [await tlsBox(10), await tlsBox(90)];
    servers.push(soon.server, later.server);
    const days = await certificateDaysLeft('127.0.0.1', soon.port, 'ingest.example.com');
    expect(days).toBeGreaterThan(9);
    expect(days).toBeLessThanOrEqual(10);
    expect(await boxCertificateCheck('127.0.0.1', soon.port, 'ingest.example.com')).toEqual({
      problem: `the box's TLS certificate for ingest.example.com (127.0.0.1:${soon.port}) expires in 9 days (under 30): renew it first; during the split its ACME HTTP-01 renewal can be answered by the ALB and fail`,
    });
    expect(await boxCertificateCheck('127.0.0.1', later.port, 'ingest.example.com')).toEqual({ ok: 'box certificate for ingest.example.com valid 89 more days' });
    // a certificate made for 30 days has just under 30 left: refused; 31: passes
    const [thirty, thirtyOne] = [await tlsBox(30), await tlsBox(31)];
    servers.push(thirty.server, thirtyOne.server);
    expect((await boxCertificateCheck('127.0.0.1', thirty.port, 'x')).problem).toContain('expires in 29 days (under 30)');
    expect((await boxCertificateCheck('127.0.0.1', thirtyOne.port, 'x')).problem).toBeUndefined();
    expect((await boxCertificateCheck('127.0.0.1', 9, 'ingest.example.com')).warning).toMatch(/^could not read the box's TLS certificate at 127\.0\.0\.1:9 \(.*ECONNREFUSED/);
  });

  it('npm run cutover refuses to start with a box certificate under 30 days, and starts with a longer one', async () => {
    const [soon, later] = [await tlsBox(10), await tlsBox(90)];
    const [hetzner, eks] = [await ready(), await ready()];
    servers.push(soon.server, later.server, hetzner.server, eks.server);
    const env = { QUEUE_PREFIX: uniquePrefix('cutover-tls') };
    await ensureSqsQueues({ ...env, QUEUE_DRIVER: 'sqs' });
    const root = mkdtempSync(join(tmpdir(), 'spillway-cutover-'));
    mkdirSync(join(root, 'deploy'));
    writeFileSync(join(root, 'deploy/traffic.json'), JSON.stringify({ hetzner: 100, eks: 0 }));
    const cutover = (port: number) =>
      cutoverInProcess(['--to', 'eks', '--dry-run', '--root', root, '--hetzner-url', hetzner.url, '--eks-url', eks.url, '--box-tls', `127.0.0.1:${port}`, '--apply', 'true'], env);
    const refused = await cutover(soon.port);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`cutover: preflight failed:\n  the box's TLS certificate for ingest.example.com (127.0.0.1:${soon.port}) expires in 9 days (under 30)`);
    const started = await cutover(later.port);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain('box certificate for ingest.example.com valid 89 more days');
    expect(started.stdout).toContain('dry run: nothing changed');
    // The plan is what a dry run is for: every step, the drain, the scale-down.
    expect(started.stdout).toMatch(/ cutover: plan: hetzner -> eks, now hetzner 100 \/ eks 0\n.* cutover: {3}step 1\/3: set hetzner 90 \/ eks 10 \(deploy\/traffic\.json\), run: true\n/);
    expect(started.stdout).toContain(" cutover:   scale down hetzner's workers: print what to do (no --scale-down given)\n");
  });
});
