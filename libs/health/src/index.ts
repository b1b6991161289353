export * from './drain.state';
export * from './health.module';
export * from './logger';
export * from './metrics';
export * from './shutdown';
