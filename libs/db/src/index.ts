export * from './data-source';
export * from './db.module';
export { runMigrationsLocked, schemaIsCurrent } from './migrate';
export { ProcessedEvent } from './entities/processed-event.entity';
export { StoredEvent } from './entities/stored-event.entity';
