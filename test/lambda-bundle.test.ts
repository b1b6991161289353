import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSRecord } from 'aws-lambda';
import request from 'supertest';
import { bundleWorkerLambda } from '../deploy/aws/worker-bundle';
import { queueName } from '@spillway/queue';
import { startAbsorber } from './support/apps';
import { ensureSqsQueues } from './support/drivers';
import { testConfig, testEnv, uniquePrefix, waitFor } from './support/env';
import { EventSourceMapping, sqsEvent } from './support/lambda-events';
import { Ledger } from './support/ledger';

/** What the Lambda runtime does with `index.handler`, in a fresh Node process: load, call, answer. */
const RUNTIME = `
const { handler, worker } = require(process.argv[1]);
const event = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));
handler(event, { getRemainingTimeInMillis: () => 60000 })
  .then((answer) => worker.close().then(() => process.stdout.write(JSON.stringify(answer))))
  .catch((err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); });
`;

describe('the worker Lambda bundle', () => {
  const env = { QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: uniquePrefix('lbundle'), BODY_LIMIT_BYTES: String(2 * 1024 * 1024) };
  const config = testConfig(env);
  const dir = mkdtempSync(join(tmpdir(), 'spillway-lambda-'));
  const ledger = new Ledger();
  let absorber: NestFastifyApplication;

  beforeAll(async () => {
    await ensureSqsQueues(env);
    absorber = await startAbsorber(config);
  });
  afterAll(async () => {
    await absorber.close();
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the same bytes from the same sources, and handles a batch in a fresh Node process against Postgres and the emulator', async () => {
    bundleWorkerLambda(join(dir, 'a'));
    bundleWorkerLambda(join(dir, 'b'));
    const digest = (d: string) => createHash('sha256').update(readFileSync(join(dir, d, 'index.js'))).digest('hex');
    expect(digest('a')).toBe(digest('b'));
    expect(readFileSync(join(dir, 'a', 'index.js'), 'utf8')).not.toContain(process.cwd());

    // One event inline, one over the SQS limit (a claim check the bundle's S3 client must fetch).
    const post = async (data: object) => (await request(absorber.getHttpServer()).post('/v1/events').send({ type: 'order.created', data, priority: 'normal' }).expect(202)).body.id;
    const ids = [await post({ n: 1 }), await post({ big: 'x'.repeat(1100 * 1024) })];
    const mapping = new EventSourceMapping(EventSourceMapping.client(config.sqsEndpoint!, config.awsRegion), queueName(config.queuePrefix, 'normal'), config.awsRegion);
    const records: SQSRecord[] = [];
    await waitFor('both messages', async () => records.push(...(await mapping.receive())) === 2);
    writeFileSync(join(dir, 'event.json'), JSON.stringify(sqsEvent(records)));

    const answer = execFileSync(process.execPath, ['-e', RUNTIME, join(dir, 'a', 'index.js'), join(dir, 'event.json')], {
      // AWS_LAMBDA_FUNCTION_NAME: the bundle starts building at load, as in Lambda's init phase.
      env: testEnv({ ...env, WORKER_LANES: 'normal', DB_POOL_MAX: '2', AWS_LAMBDA_FUNCTION_NAME: 'spillway-worker-normal', LOG_LEVEL: 'error' }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(JSON.parse(answer)).toEqual({ batchItemFailures: [] });
    expect(await ledger.counts(ids)).toEqual(new Map(ids.map((id) => [id, 1])));
    expect(await ledger.storedCount(ids)).toBe(2);
    await mapping.settle(records, { batchItemFailures: [] });
    mapping.client.destroy();
  });
});
