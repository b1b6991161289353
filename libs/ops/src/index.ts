export * from './lane-report';
export * from './prom-text';
export * from './report-text';
export * from './report-sources';
export * from './letter-filter';
export * from './event-trace';
