import { DataSource, DataSourceOptions } from 'typeorm';
import type { SpillwayConfig } from '@spillway/config';
import { iamConnection } from './iam-auth';
import { databaseClientClass, databaseTls, databaseUrlFor } from '@spillway/db-connection';
import { Init1764230400000 } from './migrations/1764230400000-Init';
import { IdempotencyKeys1764316800000 } from './migrations/1764316800000-IdempotencyKeys';
import { IdempotencyGenerations1764403200000 } from './migrations/1764403200000-IdempotencyGenerations';
import { KeyFences1764489600000 } from './migrations/1764489600000-KeyFences';
import { LedgerRetention1764576000000 } from './migrations/1764576000000-LedgerRetention';
import { EventOrigins1764662400000 } from './migrations/1764662400000-EventOrigins';

export const MIGRATIONS = [
  Init1764230400000,
  IdempotencyKeys1764316800000,
  IdempotencyGenerations1764403200000,
  KeyFences1764489600000,
  LedgerRetention1764576000000,
  EventOrigins1764662400000,
];

/** The only place database options are built; the apps and the migration CLI all come through here. */
export function dataSourceOptions(config: SpillwayConfig): DataSourceOptions {
  return {
    type: 'postgres',
    // With IAM auth the URL's parts go one by one: TypeORM and node-postgres would both let the
    // URL's empty password override the token function.
    // DATABASE_CA (if set) as `ssl`, and the URL without the TLS parameters that would replace it.
    ...(config.databaseIamAuth ? iamConnection(config) : { url: databaseUrlFor(config), ssl: databaseTls(config) }),
    // No entities: the worker and the stores write with SQL; the schema is the migrations'.
    entities: [],
    migrations: MIGRATIONS,
    migrationsTableName: 'spillway_migrations',
    synchronize: false,
    migrationsRun: false,
    extra: {
      // Its failed connect names DATABASE_CA when the server's certificate is not trusted.
      Client: databaseClientClass(config),
      max: config.dbPoolMax,
      connectionTimeoutMillis: 2000,
      // Without it a dead socket holds a pool slot until TCP gives up.
      keepAlive: true,
    },
  };
}

export function createDataSource(config: SpillwayConfig): DataSource {
  return new DataSource(dataSourceOptions(config));
}
