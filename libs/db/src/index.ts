export * from './data-source';
export * from './db.module';
export { pendingMigrations, runMigrationsLocked, schemaIsCurrent } from './migrate';
export * from '@spillway/db-connection';
