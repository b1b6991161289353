import { DataSource } from 'typeorm';
import { loadConfig } from '../../libs/config/src';
import { dataSourceOptions, runMigrationsLocked } from '../../libs/db/src';

/**
 * Refuses to touch a database whose name does not say `test` (the suites write and truncate),
 * then applies the migrations once, the same way the absorber does in production.
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
}
