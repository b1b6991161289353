export * from './lanes';
export * from './config';
export * from './config.module';
export { EnvReader } from './parse';
export * from './webhooks';
export type { DatabaseCa } from './database-ca';
