import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cutoverInProcess as cutover } from './support/cutover';
import { ensureSqsQueues } from './support/drivers';
import { testEnv, uniquePrefix } from './support/env';

const run = promisify(execFile);

/**
 * A stand-in for an absorber's /health/ready only: the test must turn readiness false on cue in
 * the middle of a hold, which a real absorber does only when its broker goes away.
 */
async function readinessStandIn(readyProbes = Infinity): Promise<{ url: string; set(status: number): void; server: Server; probes(): number }> {
  let status = 200;
  let probes = 0;
  const server = createServer((req, res) => {
    if (req.url === '/flip') status = 503;
    if (req.url === '/health/ready' && ++probes > readyProbes) status = 503;
    res.statusCode = req.url === '/health/ready' ? status : 204;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, set: (s) => (status = s), server, probes: () => probes };
}

/** The real command, as an operator runs it (the entry file's exit status and streams). */
function cutoverCommand(args: string[], env: Record<string, string>) {
  return run(process.execPath, ['-r', '@swc-node/register', 'deploy/cutover.ts', ...args], { env: testEnv(env), timeout: 60_000 }).then(
    (r) => ({ code: 0, ...r }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

function repoCopy(weights: { hetzner: number; eks: number }): string {
  const root = mkdtempSync(join(tmpdir(), 'spillway-cutover-'));
  mkdirSync(join(root, 'deploy'));
  writeFileSync(join(root, 'deploy/traffic.json'), JSON.stringify(weights));
  return root;
}

describe('npm run cutover refuses and stops where it must', { timeout: 90_000 }, () => {
  const standIns: Array<{ server: Server }> = [];
  afterAll(() => Promise.all(standIns.map((s) => new Promise((r) => s.server.close(r)))));

  it('the command itself: --help exits 0, an unknown target 2 with the usage, a failed preflight 1 on stderr', async () => {
    const help = await cutoverCommand(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run cutover -- --to <target>/);
    const unknown = await cutoverCommand(['--to', 'nowhere'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^cutover: --to must name a target taking traffic: hetzner, eks\n\nUsage: /);
    const root = repoCopy({ hetzner: 100, eks: 0 });
    const refused = await cutoverCommand(['--to', 'eks', '--root', root, '--hetzner-url', 'http://127.0.0.1:9', '--eks-url', 'http://127.0.0.1:9'], { QUEUE_PREFIX: uniquePrefix('cutover-cli') });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^cutover: preflight failed:\n {2}eks is not ready/);
    expect(refused.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z cutover: warning: hetzner is not ready/m);
  });

  it('in-process: --help and -h print the usage (0), a flag it cannot read prints the reason and the usage (2), before anything is reached', async () => {
    // A root with no traffic.json: a run that went past the flags would stop there at once (exit 1).
    const nowhere = join(tmpdir(), 'spillway-cutover-no-root');
    for (const flag of ['--help', '-h']) {
      const help = await cutover(['--to', 'eks', '--root', nowhere, flag]);
      expect([help.code, help.stderr]).toEqual([0, '']);
      expect(help.stdout).toMatch(/^Usage: npm run cutover -- --to <target>[\s\S]*kubectl port-forward\.\n$/);
    }
    const bad = await cutover(['--to', 'eks', '--root', nowhere, '--hold', 'soon']);
    expect([bad.code, bad.stdout]).toEqual([2, '']);
    expect(bad.stderr).toMatch(/^cutover: --hold .*\n\nUsage: npm run cutover/);
  });

  it('preflight: refuses with one line per problem (unready destination, missing queues) and changes nothing', async () => {
    const root = repoCopy({ hetzner: 100, eks: 0 });
    const env = { QUEUE_PREFIX: uniquePrefix('cutover-pre') }; // no SQS queues made for it
    const res = await cutover(['--to', 'eks', '--root', root, '--hetzner-url', 'http://127.0.0.1:9', '--eks-url', 'http://127.0.0.1:9'], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('cutover: preflight failed:');
    expect(res.stderr).toMatch(/eks is not ready \(http:\/\/127\.0\.0\.1:9\/health\/ready: /);
    // The side traffic leaves may be broken (that is what a rollback is for): a warning, not a refusal.
    expect(res.stdout).toMatch(/warning: hetzner is not ready/);
    expect(res.stderr).not.toMatch(/hetzner is not ready/);
    expect(res.stderr).toMatch(/eks queue for lane critical is missing or unreachable/);
    expect(JSON.parse(readFileSync(join(root, 'deploy/traffic.json'), 'utf8'))).toEqual({ hetzner: 100, eks: 0 });
  });

  it('hold: stops at the step where the destination turned unready, says how to roll back, goes no further', async () => {
    const [hetzner, eks] = [await readinessStandIn(), await readinessStandIn()];
    standIns.push(hetzner, eks);
    const env = { QUEUE_PREFIX: uniquePrefix('cutover-hold') };
    await ensureSqsQueues({ ...env, QUEUE_DRIVER: 'sqs' });
    const root = repoCopy({ hetzner: 100, eks: 0 });
    // The apply hook turns the destination unready once the first step is published.
    const flip = `${process.execPath} -e "fetch('${eks.url}/flip')"`;
    const res = await cutover(
      ['--to', 'eks', '--steps', '10,50,100', '--hold', '2', '--root', root, '--hetzner-url', hetzner.url, '--eks-url', eks.url, '--apply', flip],
      env,
    );
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('applied hetzner 90 / eks 10');
    expect(res.stdout).not.toContain('applied hetzner 50 / eks 50');
    expect(res.stderr).toContain('cutover: eks turned unready at hetzner 90 / eks 10 (503); roll back with --to hetzner');
    // It stopped on the step it was at: nothing further was written, nothing drained or scaled.
    expect(JSON.parse(readFileSync(join(root, 'deploy/traffic.json'), 'utf8'))).toEqual({ hetzner: 90, eks: 10 });
    expect(res.stdout).not.toMatch(/drain hetzner: (wait|move|done): |workers scaled down/);

    // The way back is not refused because EKS, the side it leaves, is the unready one.
    const back = await cutover(
      ['--to', 'hetzner', '--steps', '100', '--hold', '0', '--root', root, '--hetzner-url', hetzner.url, '--eks-url', eks.url,
        '--eks-metrics-url', 'http://127.0.0.1:9/metrics', '--drain-window', '1', '--apply', 'true'],
      env,
    );
    expect(back.stdout).toMatch(/warning: eks is not ready/);
    expect(back.stdout).toContain('applied hetzner 100 / eks 0');
    // No --scale-down: it says what to do instead.
    expect(back.stdout).toContain("cutover: now scale eks's workers down (e.g. docker compose stop worker, or set the KEDA ScaledObject's paused-replicas to 0)\n");
    expect(JSON.parse(readFileSync(join(root, 'deploy/traffic.json'), 'utf8'))).toEqual({ hetzner: 100, eks: 0 });
  });

  it('hold: watches the destination for the whole hold, about once a second, not only at its start', async () => {
    // Ready for the preflight's probe and the hold's first: unready from the third probe on (about 1 s into the hold).
    const [hetzner, eks] = [await readinessStandIn(), await readinessStandIn(2)];
    standIns.push(hetzner, eks);
    const env = { QUEUE_PREFIX: uniquePrefix('cutover-watch') };
    await ensureSqsQueues({ ...env, QUEUE_DRIVER: 'sqs' });
    const root = repoCopy({ hetzner: 100, eks: 0 });
    const started = Date.now();
    const res = await cutover(['--to', 'eks', '--steps', '10,100', '--hold', '3', '--root', root, '--hetzner-url', hetzner.url, '--eks-url', eks.url, '--apply', 'true'], env);
    expect(res.stderr).toBe('cutover: eks turned unready at hetzner 90 / eks 10 (503); roll back with --to hetzner\n');
    expect(res.code).toBe(1);
    expect(eks.probes()).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(JSON.parse(readFileSync(join(root, 'deploy/traffic.json'), 'utf8'))).toEqual({ hetzner: 90, eks: 10 });
  });

  it('apply: a publishing command that fails stops the run at that step with its exit status; every log line is time-stamped', async () => {
    const [hetzner, eks] = [await readinessStandIn(), await readinessStandIn()];
    standIns.push(hetzner, eks);
    const env = { QUEUE_PREFIX: uniquePrefix('cutover-apply') };
    await ensureSqsQueues({ ...env, QUEUE_DRIVER: 'sqs' });
    const root = repoCopy({ hetzner: 100, eks: 0 });
    const res = await cutover(['--to', 'eks', '--steps', '10,100', '--hold', '0', '--root', root, '--hetzner-url', hetzner.url, '--eks-url', eks.url, '--apply', 'exit 3'], env);
    expect([res.code, res.stderr]).toEqual([1, 'cutover: Command failed: exit 3 (exit 3)\n']);
    expect(res.stdout).not.toContain('applied');
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z cutover: .*\S/);
    expect(lines).toContainEqual(expect.stringMatching(/ cutover: plan: hetzner -> eks, now hetzner 100 \/ eks 0$/));
  });

  it("drain: the old side's metrics read by default at <its url>/metrics; an answer without the absorber's counters stops the run before scale-down, naming the flag", async () => {
    const [hetzner, eks] = [await readinessStandIn(), await readinessStandIn()];
    standIns.push(hetzner, eks);
    const env = { QUEUE_PREFIX: uniquePrefix('cutover-metrics') };
    await ensureSqsQueues({ ...env, QUEUE_DRIVER: 'sqs' });
    const root = repoCopy({ hetzner: 100, eks: 0 });
    // No --hetzner-metrics-url: the stand-in's /metrics answers 204 with no body (the public port, not METRICS_PORT).
    const res = await cutover(
      ['--to', 'eks', '--steps', '100', '--hold', '0', '--root', root, '--hetzner-url', hetzner.url, '--eks-url', eks.url, '--apply', 'true', '--scale-down', 'true',
        '--drain-window', '1', '--drain-give-up', '10'],
      env,
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`cutover: ${hetzner.url}/metrics answered 204 without the absorber's counters; give --hetzner-metrics-url <the absorber's METRICS_PORT listener>/metrics\n`);
    expect(res.stdout).toContain('applied hetzner 0 / eks 100');
    expect(res.stdout).not.toMatch(/workers scaled down|done: all traffic/);
  });
});
