import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { SpillwayConfig } from '../../config/src';
import { dataSourceOptions } from './data-source';

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
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
