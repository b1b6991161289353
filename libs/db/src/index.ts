export * from './data-source';
export * from './db.module';
export { runMigrationsLocked, schemaIsCurrent } from './migrate';
