import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from './faults/support/stack';
import { DRIVERS } from './support/drivers';

const RECORDER = join(__dirname, 'fixtures', 'record-loaded-modules.js');

/** Packages a module list comes from (`@scope/name` or `name`), read from the node_modules paths. */
function packagesOf(files: string[]): Set<string> {
  const names = new Set<string>();
  for (const file of files) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (m) names.add(m[1]);
  }
  return names;
}

/** What each driver's absorber must not load: the ORM, the health library, the other broker's client. */
const NEVER: Record<string, string[]> = {
  bullmq: ['typeorm', '@nestjs/typeorm', '@nestjs/terminus', '@aws-sdk/client-sqs', '@aws-sdk/client-s3', 'pg'],
  sqs: ['typeorm', '@nestjs/typeorm', '@nestjs/terminus', 'bullmq', 'ioredis'],
};
/** And what it must have loaded to serve what the test asked of it (so an empty list cannot pass). */
const NEEDED: Record<string, string[]> = {
  bullmq: ['fastify', 'bullmq', 'ioredis', 'prom-client'],
  sqs: ['fastify', '@aws-sdk/client-sqs', 'pg', 'prom-client'],
};

/**
 * Issue 12: a lean absorber. The built absorber runs as production runs it, under a preload that
 * lists every module file on exit; it serves readiness, a 202 with an Idempotency-Key (the key
 * store) and a scrape, then stops. The list must hold no ORM and no migration code at all.
 */
describe.each(DRIVERS)('the absorber process loads only what it serves (%s)', (driver) => {
  let stack: Stack | undefined;
  const out = join(tmpdir(), `spillway-modules-${randomBytes(4).toString('hex')}.txt`);
  afterAll(async () => {
    await stack?.stop();
    rmSync(out, { force: true });
  });

  it('no TypeORM, no migrations, no terminus, not the other broker', async () => {
    stack = await Stack.start({}, driver);
    const absorber = await stack.addAbsorber({ NODE_OPTIONS: `--require ${RECORDER}`, RECORD_MODULES_TO: out, SHUTDOWN_DELAY_MS: '0' });
    const res = await fetch(`${absorber.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `lean-${randomBytes(4).toString('hex')}` },
      body: JSON.stringify({ type: 'lean.test', data: { n: 1 } }),
    });
    expect(res.status).toBe(202);
    expect((await fetch(`${absorber.metricsUrl}/metrics`)).status).toBe(200);
    expect(await absorber.proc.stop('SIGTERM')).toBe(0);

    const files = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    const packages = packagesOf(files);
    for (const name of NEEDED[driver]) expect({ name, loaded: packages.has(name) }).toEqual({ name, loaded: true });
    for (const name of NEVER[driver]) expect({ name, loaded: packages.has(name) }).toEqual({ name, loaded: false });
    // Nor Spillway's own database library (the data source and the migrations live there).
    expect(files.filter((f) => /dist\/libs\/db\//.test(f))).toEqual([]);
  });
});
