import { Pool } from 'pg';
import type { SpillwayConfig } from '@spillway/config';
import { pgConnectionOptions } from '@spillway/db-connection';
import { createQueueDriver, QueueDriver } from '@spillway/queue';

/** The one-line hint for a broker that does not answer, naming what to start. */
export function brokerHint(config: SpillwayConfig): string {
  return config.queueDriver === 'bullmq'
    ? `Redis at ${config.redisUrl} does not answer: start Redis or set REDIS_URL`
    : `SQS does not answer (${config.sqsEndpoint ?? `AWS ${config.awsRegion}`}): check SQS_ENDPOINT/AWS credentials, and run \`npm run queues:ensure\` for prefix ${config.queuePrefix}`;
}

/** The broker the apps use (QUEUE_DRIVER and its settings) and a small pool on their database. */
export async function openSources(config: SpillwayConfig): Promise<{ driver: QueueDriver; db: Pool; close: () => Promise<void> }> {
  const driver = await createQueueDriver(config);
  const db = new Pool({ ...pgConnectionOptions(config), max: 2, connectionTimeoutMillis: 2000 });
  db.on('error', () => undefined);
  const close = async () => {
    await driver.close();
    await db.end().catch(() => undefined);
  };
  if (!(await driver.waitUntilConnected(3000))) {
    await close();
    throw new Error(brokerHint(config));
  }
  return { driver, db, close };
}
