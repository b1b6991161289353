/**
 * @spillway-alone its sweeps delete every old processed_events row, and it plants old rows another sweep would take (test/support/suite-lock.ts)
 */
import { PutBucketLifecycleConfigurationCommandInput } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { LedgerSweeper } from '../apps/worker/src/ledger-sweeper';
import { dataSourceOptions } from '@spillway/db';
import { ApiCallCounter, createS3Client, createSqsClient } from '@spillway/queue/sqs/sqs-clients';
import { ensureQueues } from '@spillway/queue/sqs/sqs-queues';
import { testConfig, uniquePrefix } from './support/env';

describe('ledger retention: processed_events rows older than LEDGER_RETENTION_DAYS are swept', () => {
  const config = testConfig({ LEDGER_RETENTION_DAYS: '30' });
  const db = new DataSource(dataSourceOptions(config));
  beforeAll(() => db.initialize());
  afterAll(() => db.destroy());

  const insert = (ids: string[], daysAgo: number) =>
    db.query(`INSERT INTO processed_events (id, type, lane, attempts, processed_at) SELECT id, 'retention.test', 'low', 1, now() - make_interval(days => $2) FROM unnest($1::text[]) AS id`, [ids, daysAgo]);
  const present = async (ids: string[]) => Number((await db.query('SELECT count(*) AS n FROM processed_events WHERE id = ANY($1::text[])', [ids]))[0].n);

  it('deletes older rows in batches until none are left, keeps rows inside the retention', async () => {
    const old = Array.from({ length: 12_000 }, () => randomUUID()); // more than two batches of 5000
    const kept = Array.from({ length: 50 }, () => randomUUID());
    await insert(old, 31);
    await insert(kept, 29);
    const deleted = await new LedgerSweeper(db, config).sweep();
    expect(deleted).toBeGreaterThanOrEqual(old.length);
    expect(await present(old)).toBe(0);
    expect(await present(kept)).toBe(kept.length);
    expect(await new LedgerSweeper(db, config).sweep()).toBe(0);
    await db.query('DELETE FROM processed_events WHERE id = ANY($1::text[])', [kept]);
  });

  it('never sweeps inside the Idempotency-Key window: LEDGER_RETENTION_DAYS below 1 is refused', () => {
    expect(() => testConfig({ LEDGER_RETENTION_DAYS: '0' })).toThrow(/LEDGER_RETENTION_DAYS/);
  });
});

describe('queues:ensure sets the claim-check bucket lifecycle rule from the retention', () => {
  // fauxqs accepts PutBucketLifecycleConfiguration but does not keep it (GET returns no rules),
  // and expires nothing: what can be checked is the rule sent and that S3 accepted it.
  it.each([
    ['30', 30],
    ['2', 15], // never before the queues' 14-day message retention is over
  ])('LEDGER_RETENTION_DAYS=%s: objects under events/ expire after %i days', async (days, expected) => {
    const config = testConfig({ QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: uniquePrefix('retention'), LEDGER_RETENTION_DAYS: days });
    const counter = new ApiCallCounter();
    const sqs = createSqsClient(config, counter, { sockets: 4, requestTimeoutMs: 10_000, maxAttempts: 3 });
    const s3 = createS3Client(config, counter);
    const sent: PutBucketLifecycleConfigurationCommandInput[] = [];
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutBucketLifecycleConfigurationCommand') sent.push(args.input as PutBucketLifecycleConfigurationCommandInput);
        return next(args);
      },
      { step: 'initialize' },
    );
    try {
      const results = await ensureQueues(config, sqs, s3);
      expect(results.at(-1)!.name).toBe(`s3://${config.payloadBucket} (claim checks expire after ${expected} days)`);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        Bucket: config.payloadBucket,
        LifecycleConfiguration: { Rules: [{ ID: 'spillway-claim-checks', Status: 'Enabled', Filter: { Prefix: 'events/' }, Expiration: { Days: expected } }] },
      });
    } finally {
      sqs.destroy();
      s3.destroy();
    }
  });
});
