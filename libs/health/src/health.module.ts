import { DynamicModule, Global, Module } from '@nestjs/common';
import { DrainState } from './drain.state';
import { HealthController, READINESS_ROLE, ReadinessRole } from './health.controller';
import { Metrics, MetricsController } from './metrics';
import { StartupState } from './startup.state';

@Global()
@Module({})
export class HealthModule {
  /**
   * The absorber checks the broker only and serves `/metrics` on a listener of its own (never on
   * the public port); the worker checks broker, database and its consumers and serves `/metrics`
   * beside health. No health library: the checks are a few lines, and @nestjs/terminus made
   * every process load TypeORM (its TypeORM indicator requires it when built).
   */
  static forApp(role: ReadinessRole): DynamicModule {
    return {
      module: HealthModule,
      controllers: role === 'worker' ? [HealthController, MetricsController] : [HealthController],
      providers: [DrainState, StartupState, Metrics, { provide: READINESS_ROLE, useValue: role }],
      exports: [DrainState, StartupState, Metrics],
    };
  }
}
