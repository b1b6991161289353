export * from './drain.state';
export * from './health.module';
export * from './logger';
export * from './metrics';
export * from './readiness';
export * from './shutdown';
export * from './startup.state';
