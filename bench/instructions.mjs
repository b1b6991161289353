// CPU per request that a shared, noisy machine cannot skew: the absorber's instructions per request,
// counted by callgrind (valgrind), over a window of N requests of the bench's mix (bench/load.ts:
// 6 normal, 2 critical, 2 low, 1 in 10 keyed) sent by autocannon from this process. The absorber
// (a build's dist/, production settings, auth on) runs under `valgrind --tool=callgrind` with
// instrumentation off until warmed up, then on for the window only. Also prints the absorber's CPU
// ms per 1k requests over the window (under valgrind: only for comparing builds in one run).
//   npm run build && node node_modules/typescript-native/bin/tsc -p bench/tsconfig.json
//   REDIS_URL=redis://127.0.0.1:<port> node bench/instructions.mjs [--requests N] [--connections C] [--rounds R] DIST|fastify ...
// Builds are measured in interleaved rounds. The window's jobs stay in that Redis (its own prefix).
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const { requestMix, API_KEY, LANE_ROUTES } = require(resolve('dist/bench/load.js'));

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  return Number(value);
};
const REQUESTS = opt('--requests', 2000);
const CONNECTIONS = opt('--connections', 4);
const ROUNDS = opt('--rounds', 1);
const WARMUP = opt('--warmup', 3000);
const dists = args;
if (!dists.length || !process.env.REDIS_URL) {
  console.error('usage: REDIS_URL=redis://127.0.0.1:<port> node bench/instructions.mjs [--requests N] [--connections C] [--rounds R] [--warmup N] DIST [DIST ...]');
  process.exit(2);
}
const nodeOptions = /NODE_OPTIONS:\s*(.+)/.exec(readFileSync('docker-compose.yml', 'utf8'))?.[1].trim().replace(/^['"]|['"]$/g, '') ?? '';

const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cpuSeconds = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

function load(port, amount, runId) {
  return new Promise((res, rej) => {
    autocannon(
      { url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, amount, requests: requestMix(runId), timeout: 120 },
      (err, result) => (err ? rej(err) : res(result)),
    );
  });
}

async function measure(dist, round) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'spillway-instr-'));
  const out = join(dir, 'callgrind.out');
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    QUEUE_DRIVER: 'bullmq',
    QUEUE_PREFIX: `instr${process.pid}r${round}${dist.replace(/\W/g, '')}`.slice(0, 40),
    PORT: String(port),
    INGEST_API_KEYS: `another-tenant-key-4a6c8e0b2d5f7a9c1e3b,${API_KEY}`,
    LANE_ROUTES,
    LOG_LEVEL: 'warn',
    METRICS_PORT: '0',
    // Valgrind runs it ~50x slower: a write must not be given up on as slow.
    ENQUEUE_TIMEOUT_MS: '30000',
  };
  delete env.NODE_OPTIONS;
  // `fastify`: bare Fastify answering 202 without enqueue (bench/peers/bare-fastify.ts), the floor.
  const script = dist === 'fastify' ? ['dist/bench/peers/bare-fastify.js'] : [...nodeOptions.split(' ').filter(Boolean), join(dist, 'apps/absorber/src/main.js')];
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, 'node', ...script],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  try {
    for (let t = 0; ; t++) {
      const r = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
      if (r) break;
      if (child.exitCode !== null || t > 600) throw new Error(`absorber did not start:\n${stderr.slice(-2000)}`);
      await sleep(500);
    }
    await load(port, WARMUP, `w${round}${process.pid}`);
    await sleep(500);
    execFileSync('callgrind_control', ['-z', String(child.pid)], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['-i', 'on', String(child.pid)], { stdio: 'ignore' });
    const cpu0 = cpuSeconds(child.pid);
    const result = await load(port, REQUESTS, `m${round}${process.pid}`);
    const cpu = cpuSeconds(child.pid) - cpu0;
    execFileSync('callgrind_control', ['-i', 'off', String(child.pid)], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
    // The dump is written at the instrumented program's next scheduling point, not at once.
    let ir = 0;
    for (let t = 0; t < 120 && !ir; t++) {
      await sleep(500);
      for (const f of readdirSync(dir).filter((name) => name.startsWith('callgrind.out'))) {
        const m = /^totals: (\d+)/m.exec(readFileSync(join(dir, f), 'utf8'));
        if (m) ir = Math.max(ir, Number(m[1]));
      }
    }
    const ok = result['2xx'];
    if (!ir) throw new Error(`no callgrind dump in ${dir}`);
    if (ok !== REQUESTS) throw new Error(`${ok} of ${REQUESTS} answered 2xx (non2xx ${result.non2xx}, errors ${result.errors})`);
    return { ir, perRequest: ir / REQUESTS, cpuMsPer1k: (cpu * 1e6) / REQUESTS };
  } finally {
    child.kill('SIGKILL');
    await sleep(200);
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

const results = new Map(dists.map((d) => [d, []]));
for (let round = 1; round <= ROUNDS; round++) {
  for (const dist of dists) {
    const r = await measure(dist, round);
    results.get(dist).push(r);
    console.log(`round ${round} ${dist}: ${(r.perRequest / 1e3).toFixed(0)}k instructions per request (${(r.ir / 1e9).toFixed(2)} G over ${REQUESTS}), CPU under valgrind ${r.cpuMsPer1k.toFixed(0)} ms per 1k`);
  }
}
for (const [dist, rs] of results) {
  const per = rs.map((r) => r.perRequest).sort((a, b) => a - b);
  console.log(`${dist}: median ${(per[Math.floor(per.length / 2)] / 1e3).toFixed(0)}k instructions per request over ${rs.length} round(s), ${CONNECTIONS} connections`);
}
