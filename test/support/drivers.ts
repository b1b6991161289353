import { QueueDriverName } from '@spillway/config';
import { QueueDriver } from '@spillway/queue';
import { BullmqDriver, SqsDriver } from '@spillway/queue/drivers';
import { testConfig, uniquePrefix } from './env';

export const DRIVERS: QueueDriverName[] = ['bullmq', 'sqs'];

/** A driver on a fresh queue prefix, its queues in place (SQS: `queues:ensure` does this in real life). */
export async function freshDriver(name: QueueDriverName, env: Record<string, string> = {}): Promise<QueueDriver> {
  const config = testConfig({ QUEUE_DRIVER: name, QUEUE_PREFIX: uniquePrefix(`c${name}`), ...env });
  if (name === 'bullmq') {
    const driver = new BullmqDriver(config);
    if (!(await driver.waitUntilConnected(5000))) {
      await driver.close();
      throw new Error(`Redis at ${config.redisUrl} is not answering: start redis-server`);
    }
    return driver;
  }
  const driver = new SqsDriver(config);
  await driver.ensureQueues();
  return driver;
}

/** A driver whose broker is a port nothing listens on. */
export function unreachableDriver(name: QueueDriverName, port: number): QueueDriver {
  return name === 'bullmq'
    ? new BullmqDriver(testConfig({ REDIS_URL: `redis://127.0.0.1:${port}` }))
    : new SqsDriver(testConfig({ QUEUE_DRIVER: 'sqs', SQS_ENDPOINT: `http://127.0.0.1:${port}` }));
}

/** Creates the SQS queues for a config the apps will use (the apps never create queues themselves). */
export async function ensureSqsQueues(env: Record<string, string>): Promise<void> {
  const driver = new SqsDriver(testConfig(env));
  try {
    await driver.ensureQueues();
  } finally {
    await driver.close();
  }
}
