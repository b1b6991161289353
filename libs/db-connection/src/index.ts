// How a Postgres connection is made from DATABASE_URL and DATABASE_CA, apart from libs/db (TypeORM
// and the migrations), so the absorber's idempotency store uses it without loading those.
export { databaseClientClass, databaseTls, databaseUrlFor, pgConnectionOptions } from './pg-connection';
export { databaseTlsError, isDatabaseTlsError } from './tls-error';
