import { DataSource } from 'typeorm';
import { loadConfig } from '@spillway/config';
import { dataSourceOptions, runMigrationsLocked } from '@spillway/db';
import { FauxqsServer } from './fauxqs';
import { dropKeys } from './redis-server';

/**
 * Refuses to touch a database whose name does not say `test` (the suites write and truncate),
 * then applies the migrations once, as `npm run migrate` does before the apps everywhere. Starts the SQS
 * emulator for the run; the test processes inherit SQS_ENDPOINT (they are forked after this).
 * Returns the teardown, which Vitest runs once every file has finished.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const config = loadConfig();
  const name = new URL(config.databaseUrl).pathname.slice(1);
  if (!name.includes('test')) {
    throw new Error(`refusing to run integration tests against database "${name}": its name must contain "test"`);
  }
  const dataSource = new DataSource(dataSourceOptions(config));
  await dataSource.initialize();
  try {
    await runMigrationsLocked(dataSource);
  } finally {
    await dataSource.destroy();
  }
  const fauxqs = await FauxqsServer.start();
  process.env.SQS_ENDPOINT = fauxqs.url;
  return globalTeardown(config.redisUrl, fauxqs);
}

/** Every suite's queue prefix starts with `t-` (see uniquePrefix): clear them all from the shared Redis. */
function globalTeardown(redisUrl: string, fauxqs: FauxqsServer): () => Promise<void> {
  return async () => {
    await dropKeys(redisUrl, 't-*');
    await fauxqs.stop();
  };
}
