export { HELP, parseMoveArgs, redact } from './args';
export type { MoveOptions } from './args';
export { runMove, VerifyFailed } from './move';
export { databaseAgreement } from './agreement';
export { REPLICATION_NAME } from './replicate';
