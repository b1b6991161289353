import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { testEnv, uniquePrefix } from './support/env';
import { AppProcess } from './support/processes';

const SCRIPT = 'dist/libs/queue/src/sqs/ensure-queues.js';

describe('npm run queues:ensure (against fauxqs)', () => {
  it('explains itself with --help and touches nothing', async () => {
    const help = AppProcess.start(SCRIPT, testEnv({ QUEUE_PREFIX: 'shop', SQS_ENDPOINT: 'http://127.0.0.1:9' }), ['--help']);
    expect(await help.exited).toBe(0);
    expect(help.output).toMatch(/^usage: npm run queues:ensure/);
    expect(help.output).toContain('shop-critical.fifo, shop-normal, shop-low');
  });

  it('creates the queues with their redrive policy; a re-run changes nothing, a new LEASE_MS updates', async () => {
    const prefix = uniquePrefix('ensure');
    const env = testEnv({ QUEUE_PREFIX: prefix, MAX_ATTEMPTS: '7', LEASE_MS: '45000' });
    const first = AppProcess.start(SCRIPT, env);
    expect(await first.exited).toBe(0);
    expect(first.output.match(/^created /gm)).toHaveLength(7); // 3 queues, 3 DLQs, 1 bucket
    const second = AppProcess.start(SCRIPT, env);
    expect(await second.exited).toBe(0);
    expect(second.output.match(/^unchanged /gm)).toHaveLength(7);
    const changed = AppProcess.start(SCRIPT, { ...env, MAX_ATTEMPTS: '7', LEASE_MS: '60000' });
    expect(await changed.exited).toBe(0);
    expect(changed.output.match(/^updated /gm)).toHaveLength(3); // the three lane queues; DLQs and bucket as they were

    const sqs = new SQSClient({ endpoint: process.env.SQS_ENDPOINT, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: `${prefix}-critical.fifo` }))).QueueUrl;
      const attrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes!;
      expect(JSON.parse(attrs.RedrivePolicy!)).toEqual({ deadLetterTargetArn: expect.stringMatching(new RegExp(`:${prefix}-critical-dlq\\.fifo$`)), maxReceiveCount: 7 });
      expect(attrs.VisibilityTimeout).toBe('60');
    } finally {
      sqs.destroy();
    }
  });
});
