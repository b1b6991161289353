import { DynamicModule, Global, Module } from '@nestjs/common';
import { SpillwayConfig } from './config';

export const SPILLWAY_CONFIG = Symbol('SPILLWAY_CONFIG');

/** Makes the already-validated config injectable; it never reads the environment itself. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: SpillwayConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: SPILLWAY_CONFIG, useValue: config }],
      exports: [SPILLWAY_CONFIG],
    };
  }
}
