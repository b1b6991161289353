import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { SpillwayConfig } from '@spillway/config';
import { DATABASE_PING, DatabasePing } from '@spillway/health';
import { withTimeout } from '@spillway/queue';
import { dataSourceOptions } from './data-source';
import { isDatabaseTlsError } from '@spillway/db-connection';

@Global()
@Module({})
export class DbModule {
  static forRoot(config: SpillwayConfig): DynamicModule {
    return {
      module: DbModule,
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions(config),
          // Wait for Postgres at start (a minute at most) rather than crash-looping; once up,
          // the pool reconnects by itself and readiness reports any outage.
          retryAttempts: 60,
          retryDelay: 1000,
          // An untrusted certificate stays untrusted: stop at once, with the line naming DATABASE_CA.
          toRetry: (err: unknown) => !isDatabaseTlsError(err),
        }),
      ],
      providers: [
        {
          // For the worker's readiness (libs/health never touches TypeORM itself).
          provide: DATABASE_PING,
          inject: [DataSource],
          useFactory: (dataSource: DataSource): DatabasePing => async (timeoutMs) => {
            await withTimeout(dataSource.query('SELECT 1'), timeoutMs, () => new Error(`no answer from Postgres within ${timeoutMs} ms`));
          },
        },
      ],
      exports: [TypeOrmModule, DATABASE_PING],
    };
  }
}
