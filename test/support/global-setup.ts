import './path-aliases-hook';
import { DataSource } from 'typeorm';
import { loadConfig } from '@spillway/config';
import { dataSourceOptions, runMigrationsLocked } from '@spillway/db';
import { FauxqsServer } from './fauxqs';

/**
 * Refuses to touch a database whose name does not say `test` (the suites write and truncate),
 * then applies the migrations once, as `npm run migrate` does before the apps everywhere. Starts the SQS
 * emulator for the run; workers inherit SQS_ENDPOINT (they are forked after this).
 */
export default async function globalSetup(): Promise<void> {
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
  (globalThis as { fauxqs?: FauxqsServer }).fauxqs = fauxqs;
}
