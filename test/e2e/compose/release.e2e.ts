import { execFileSync, spawn, ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { sleep, waitFor } from '../../support/env';
import { effectCountsQuery, INSTALL_EFFECT_COUNTER, REDELIVER_SCRIPT, REMOVE_EFFECT_COUNTER } from './effects';
import { lines, run } from './stack';

/**
 * The release flow for real on the compose stack: `npm run image` builds the image, `npm run
 * image:push` pushes it to a registry (Debian's docker-registry on a loopback port of its own), and
 * `npm run release -- --target hetzner --image <digest>` runs it by digest. Then image B is
 * released and `npm run rollback` brings A back, under a steady load: every acknowledged event
 * must be applied exactly once across both switches, counted where no key folds a repeat (the
 * trigger of ./effects.ts), and again after the broker delivers some of them once more.
 */
const ROOT = join(__dirname, '..', '..', '..');
const PROJECT = 'spillway-release-e2e';
const MINUTE = 60_000;
const SECRETS_DIR = join(ROOT, 'deploy/hetzner/secrets');

const scratch = mkdtempSync(join(tmpdir(), 'spillway-release-e2e-'));
const releaseLog = join(scratch, 'releases.log');
const composeFile = join(scratch, 'docker-compose.yml');
let registry: ChildProcess | undefined;
let registryHost = '';
let absorberUrl = '';
let auth: Record<string, string> = {};
const createdEnvFiles: string[] = [];

/** Ports the kernel hands out are free now; the stack binds them a moment later. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** The env every command of this suite runs with: its own compose file, project and history. */
const stackEnv = () => ({ COMPOSE_FILE: composeFile, COMPOSE_PROJECT_NAME: PROJECT, SPILLWAY_RELEASE_LOG: releaseLog, SPILLWAY_IMAGE_ALLOW_DIRTY: '1' });

function npm(script: string, args: string[], timeoutMs = 5 * MINUTE): Promise<{ stdout: string; all: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', script, '--', ...args], { cwd: ROOT, env: { ...process.env, ...stackEnv() }, timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let all = '';
    child.stdout.on('data', (d) => ((stdout += d), (all += d)));
    child.stderr.on('data', (d) => (all += d));
    child.on('close', (code) => (code === 0 ? resolve({ stdout, all }) : reject(new Error(`npm run ${script} ${args.join(' ')}: exit ${code}\n${all.slice(-3000)}`))));
  });
}

const compose = (args: string[], timeoutMs?: number) => run('env', [...Object.entries(stackEnv()).map(([k, v]) => `${k}=${v}`), 'docker-compose', ...args], timeoutMs);

/** The repository's docker-compose.yml as rendered, with only the published port moved (so this suite never competes for 8080) and paths made absolute. */
function writeComposeFile(port: number): void {
  const doc = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { version: '1.1' }) as { services: Record<string, Record<string, unknown>> };
  for (const svc of Object.values(doc.services)) {
    if (Array.isArray(svc.env_file)) svc.env_file = svc.env_file.map((f: string) => (isAbsolute(f) ? f : join(ROOT, f)));
    // Bind mounts of rendered files (the Redis ACL script, the database roles): relative to the repository.
    if (Array.isArray(svc.volumes)) svc.volumes = svc.volumes.map((v: unknown) => (typeof v === 'string' && v.startsWith('./') ? join(ROOT, v) : v));
    if (svc.build === '.') svc.build = ROOT;
    if (svc.build && typeof svc.build === 'object') (svc.build as { context: string }).context = ROOT;
  }
  const absorber = doc.services.absorber;
  absorber.ports = (absorber.ports as string[]).map((p) => p.replace(/:\d+:/, `:${port}:`));
  // YAML 1.1 as the renderer writes it: docker-compose 1.29 reads "no" and "yes" unquoted as booleans.
  writeFileSync(composeFile, stringify(doc, { version: '1.1', lineWidth: 0 }));
}

async function startRegistry(): Promise<void> {
  const port = await freePort();
  registryHost = `127.0.0.1:${port}`;
  mkdirSync(join(scratch, 'registry'));
  const config = join(scratch, 'registry.yml');
  writeFileSync(config, stringify({ version: 0.1, log: { level: 'warn' }, storage: { filesystem: { rootdirectory: join(scratch, 'registry') } }, http: { addr: registryHost } }));
  registry = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  registry.stderr!.on('data', (d) => (log = (log + d).slice(-2000)));
  await waitFor(`docker-registry on ${registryHost}`, async () => (await fetch(`http://${registryHost}/v2/`)).status === 200, 30_000, 200).catch((err) => {
    throw new Error(`${err.message}\n${log}`);
  });
}

async function sql(query: string): Promise<string[]> {
  return lines(await compose(['exec', '-T', 'postgres', 'psql', '-U', 'spillway', '-d', 'spillway', '-v', 'ON_ERROR_STOP=1', '-tA', '-c', query]));
}

/**
 * Each acknowledged id whose effect count is not exactly 1 (0: lost, 2+: applied twice), with
 * its count. `processed_events` and `events` are keyed by the id, so their rows read 1 either way.
 */
async function effectsNotOnce(ids: string[]): Promise<Array<[string, number]>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 1000) {
    for (const row of await sql(effectCountsQuery(ids.slice(i, i + 1000)))) {
      const [id, n] = row.split('|');
      counts.set(id, Number(n));
    }
  }
  return ids.map((id): [string, number] => [id, counts.get(id) ?? 0]).filter(([, n]) => n !== 1);
}

/** Processed events put on the stack's broker again (each twice in one delivery, once alone), as compose.e2e.ts does. */
async function redeliver(ids: string[]): Promise<string> {
  const json = (await sql(
    `SELECT json_agg(json_build_object('id', id, 'type', type, 'lane', lane, 'key', event_key, 'data', data, 'receivedAt', received_at))
       FROM events WHERE id IN (${ids.map((id) => `'${id}'`).join(',')})`,
  )).join('\n'); // json_agg puts each element on a line of its own
  const events = JSON.parse(json) as Array<{ key?: string | null }>;
  expect(events).toHaveLength(ids.length);
  for (const e of events) if (e.key === null) delete e.key;
  return compose(['exec', '-T', 'absorber', 'node', '-e', REDELIVER_SCRIPT, JSON.stringify(events)], 2 * MINUTE);
}

/** Image refs the app containers were created from, by service. */
async function runningImages(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const svc of ['absorber', 'worker']) {
    const [id] = lines(await compose(['ps', '-q', svc]));
    out[svc] = (await run('docker', ['inspect', '--format', '{{.Config.Image}}', id])).trim();
  }
  return out;
}

/** A paced load (a refused connection during a switch must not spin): every 202's id, and when. */
class SteadyLoad {
  readonly acked: Array<{ id: string; at: number }> = [];
  failed = 0;
  private stopped = false;
  private readonly done: Promise<void>;
  constructor() {
    const loop = async () => {
      while (!this.stopped) {
        try {
          const res = await fetch(`${absorberUrl}/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...auth },
            body: JSON.stringify({ type: 'e2e.release', data: { n: this.acked.length } }),
            signal: AbortSignal.timeout(5000),
          });
          if (res.status === 202) this.acked.push({ id: ((await res.json()) as { id: string }).id, at: Date.now() });
          else {
            this.failed++;
            await res.text();
          }
        } catch {
          this.failed++;
        }
        await sleep(25);
      }
    };
    this.done = Promise.all([loop(), loop()]).then(() => undefined);
  }
  between(from: number, to: number) {
    return this.acked.filter((a) => a.at >= from && a.at <= to).length;
  }
  async stop() {
    this.stopped = true;
    await this.done;
  }
}

describe(`release and rollback by digest through a real registry (project ${PROJECT})`, () => {
  let imageA = '';
  let imageB = '';

  beforeAll(async () => {
    await run('docker', ['info']).catch((err: Error) => {
      throw new Error(`no Docker engine: ${err.message}\nCI installs one with test/e2e/compose/ci-setup.sh`);
    });
    // Example values are refused at start: the script creates the missing files with random ones.
    const created = execFileSync(process.execPath, [join(__dirname, '../../../scripts/secrets-from-examples.mjs'), SECRETS_DIR], { encoding: 'utf8' });
    createdEnvFiles.push(...created.split('\n').filter(Boolean));
    const key = /^INGEST_API_KEYS=([^,\n]+)/m.exec(readFileSync(join(SECRETS_DIR, 'absorber.env'), 'utf8'))?.[1];
    auth = key ? { authorization: `Bearer ${key.trim()}` } : {};
    const port = await freePort();
    absorberUrl = `http://127.0.0.1:${port}`;
    writeComposeFile(port);
    await compose(['down', '-v', '--remove-orphans']);
    await startRegistry();
  }, 3 * MINUTE);

  afterAll(async () => {
    await compose(['down', '-v', '--remove-orphans']).catch((err) => console.error(err));
    registry?.kill();
    for (const ref of [imageB, 'spillway-release-e2e:b']) if (ref) await run('docker', ['rmi', ref]).catch(() => undefined);
    for (const f of createdEnvFiles) rmSync(f);
    rmSync(scratch, { recursive: true, force: true });
  }, 2 * MINUTE);

  it('npm run image builds once; image:push prints the digest the registry holds', async () => {
    await npm('image', [], 15 * MINUTE);
    imageA = (await npm('image:push', ['--registry', registryHost])).stdout.trim();
    expect(imageA).toMatch(new RegExp(`^${registryHost}/spillway@sha256:[0-9a-f]{64}$`));
    // The registry serves that manifest under that digest.
    const digest = imageA.split('@')[1];
    const manifest = await fetch(`http://${registryHost}/v2/spillway/manifests/${digest}`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' } });
    expect([manifest.status, manifest.headers.get('docker-content-digest')]).toEqual([200, digest]);

    // Image B: the same build plus a label, so a new digest (a stand-in for the next commit).
    // The tag npm run image gave this commit (an older commit's build may be in the cache too).
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const tag = `${version}-${(await run('git', ['-C', ROOT, 'rev-parse', 'HEAD'])).trim().slice(0, 12)}`;
    const dockerfile = join(scratch, 'Dockerfile.b');
    writeFileSync(dockerfile, `FROM spillway:${tag}\nLABEL spillway.e2e=image-b\n`);
    await run('docker', ['build', '-q', '-t', 'spillway-release-e2e:b', '-f', dockerfile, scratch]);
    await run('docker', ['tag', 'spillway-release-e2e:b', `${registryHost}/spillway:e2e-b`]);
    const pushed = await run('docker', ['push', `${registryHost}/spillway:e2e-b`]);
    imageB = `${registryHost}/spillway@${/digest: (sha256:[0-9a-f]{64})/.exec(pushed)![1]}`;
    expect(imageB).not.toBe(imageA);
    // Drop the registry names: the release must pull each digest from the registry.
    await run('docker', ['rmi', `${registryHost}/spillway:${tag}`, `${registryHost}/spillway:e2e-b`]);
  }, 17 * MINUTE);

  it('release A, release B, rollback: A serves again and no acknowledged event is lost', async () => {
    expect(imageA && imageB).toBeTruthy();
    const a = await npm('release', ['--target', 'hetzner', '--image', imageA]);
    expect(a.all).toContain(`healthy on ${imageA}`);
    expect(await runningImages()).toEqual({ absorber: imageA, worker: imageA });
    // From here on every application of an event leaves a row in effect_counter (./effects.ts).
    await sql(INSTALL_EFFECT_COUNTER);

    const load = new SteadyLoad();
    await waitFor('events acknowledged on A', async () => load.acked.length >= 50, MINUTE, 100);
    const t0 = Date.now();
    await npm('release', ['--target', 'hetzner', '--image', imageB]);
    const t1 = Date.now();
    expect(await runningImages()).toEqual({ absorber: imageB, worker: imageB });
    await waitFor('events acknowledged on B', async () => load.between(t1, Date.now()) >= 50, MINUTE, 100);

    const dry = await npm('rollback', ['--target', 'hetzner', '--dry-run']);
    expect(dry.all).toContain(`to ${imageA}`);
    expect(await runningImages()).toEqual({ absorber: imageB, worker: imageB });
    const t2 = Date.now();
    await npm('rollback', ['--target', 'hetzner']);
    const t3 = Date.now();
    expect(await runningImages()).toEqual({ absorber: imageA, worker: imageA });
    await waitFor('events acknowledged on A again', async () => load.between(t3, Date.now()) >= 50, MINUTE, 100);
    await load.stop();

    expect(readFileSync(releaseLog, 'utf8').trim().split('\n').map((l) => l.split('\t').slice(1).join(' '))).toEqual([`deploy ${imageA}`, `deploy ${imageB}`, `rollback ${imageA}`]);
    // This project's database is fresh: every row is from this test. (The ids go the other way,
    // into this process: thousands of them would not fit on psql's command line.)
    const ids = load.acked.map((x) => x.id);
    let missing: string[] = ids;
    await waitFor('every acknowledged id in processed_events', async () => {
      const seen = new Set(await sql('SELECT id FROM processed_events'));
      missing = ids.filter((id) => !seen.has(id));
      return missing.length === 0;
    }, 2 * MINUTE, 1000).catch((err) => {
      throw new Error(`${err.message}: ${missing.length} of ${ids.length} acknowledged events missing, e.g. ${missing.slice(0, 3)}`);
    });
    // Nothing but the acknowledged ids in the ledger and the reference handler's table (keyed: this
    // shows nothing lost or extra, never a double).
    const sorted = (rows: string[]) => [...rows].sort();
    expect(sorted(await sql('SELECT id FROM processed_events'))).toEqual(sorted(ids));
    expect(sorted(await sql('SELECT id FROM events'))).toEqual(sorted(ids));
    // Applied once each, across both switches (workers stopped mid-delivery hand theirs back).
    expect(await effectsNotOnce(ids)).toEqual([]);
    // Then the broker delivers some of them again: still one effect each.
    const again = ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / 30)) === 0);
    expect(await redeliver(again)).toContain(`redelivered ${again.length} events`);
    await sleep(2000); // a commit racing the depth reading
    expect(await effectsNotOnce(ids)).toEqual([]);
    await sql(REMOVE_EFFECT_COUNTER);
    console.log(
      `release e2e: ${ids.length} acknowledged, each applied once (${again.length} redelivered 3 times); release A->B took ${((t1 - t0) / 1000).toFixed(0)} s, rollback ${((t3 - t2) / 1000).toFixed(0)} s; ` +
        `${load.between(t0, t1)} acknowledged during the release, ${load.between(t2, t3)} during the rollback, ${load.failed} requests refused while the absorber was replaced`,
    );
  }, 10 * MINUTE);
});
