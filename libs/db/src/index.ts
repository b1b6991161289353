export * from './data-source';
export * from './db.module';
export { pendingMigrations, runMigrationsLocked, schemaIsCurrent } from './migrate';
export { databaseClientClass, databaseTls, databaseUrlFor, pgConnectionOptions } from './pg-connection';
export { databaseTlsError, isDatabaseTlsError } from './tls-error';
