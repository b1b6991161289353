import { NestFastifyApplication } from '@nestjs/platform-fastify';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { startAbsorber, startWorker } from './support/apps';
import { testConfig, uniquePrefix, waitFor } from './support/env';
import { Ledger } from './support/ledger';

/**
 * Property: whatever the absorber answers as held, the worker stores (real Postgres jsonb through
 * the pipeline). Strings are drawn from all UTF-16 code units (NUL and lone surrogates included)
 * in values and object keys at any depth, and in the ordering key; events Postgres could not store
 * must be refused at ingest (400 naming the field), never acknowledged and then stuck in retries.
 */
describe('every acknowledged event can be stored (fast-check, BullMQ + Postgres)', () => {
  const config = testConfig({ QUEUE_PREFIX: uniquePrefix('storable'), MAX_ATTEMPTS: '2', RETRY_BASE_MS: '50' });
  let absorber: NestFastifyApplication;
  let worker: NestFastifyApplication;
  const ledger = new Ledger();

  beforeAll(async () => {
    absorber = await startAbsorber(config);
    worker = await startWorker(config);
  });
  afterAll(async () => {
    await worker.close();
    await absorber.close();
    await ledger.close();
  });

  it('stores every event answered as held, and refuses the others naming the field', async () => {
    // Any UTF-16 code unit (lone surrogates too), any code point, and the known troublemakers.
    const codeUnit = fc.nat({ max: 0xffff }).map((n) => String.fromCharCode(n));
    const text = fc.oneof(fc.string({ unit: codeUnit, maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('\u0000', '\ud800', 'a\udc00b'));
    const data = fc.object({ key: text, values: [text, fc.integer(), fc.boolean(), fc.constant(null)], maxDepth: 3, maxKeys: 4 });
    const type = `storable.${randomBytes(4).toString('hex')}`;
    const events = fc.sample(fc.record({ data, key: fc.option(text.filter((s) => s.length > 0), { nil: undefined }) }), { numRuns: 400, seed: 11 });
    const held = new Map<string, unknown>();
    let refused = 0;
    for (let i = 0; i < events.length; i += 50) {
      const chunk = events.slice(i, i + 50).map((e) => ({ type, data: e.data, ...(e.key === undefined ? {} : { key: e.key }) }));
      const res = await request(absorber.getHttpServer()).post('/v1/events/batch').send({ events: chunk }).expect(202);
      res.body.results.forEach((r: { id?: string; error?: string }, k: number) => {
        if (r.id) held.set(r.id, chunk[k].data);
        else {
          expect(r.error).toMatch(/^events\[\d+\]\.(data|key)\b.*(NUL|unpaired UTF-16 surrogate)/);
          refused++;
        }
      });
    }
    // The generator did produce both kinds, so the property was tested on each side.
    expect(refused).toBeGreaterThan(20);
    expect(held.size).toBeGreaterThan(20);
    const ids = [...held.keys()];
    await waitFor('every held event to be stored', async () => (await ledger.storedCount(ids)) === ids.length, 60_000, 250);
    for (const row of await ledger.stored(ids)) expect(row.data).toEqual(held.get(row.id));
  });
});
