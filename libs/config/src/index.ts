export * from './lanes';
export * from './config';
export * from './config.module';
export { EnvReader } from './parse';
export * from './webhooks';
