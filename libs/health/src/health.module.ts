import { DynamicModule, Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DrainState } from './drain.state';
import { HealthController, READINESS_ROLE, ReadinessRole } from './health.controller';
import { Metrics, MetricsController } from './metrics';

@Global()
@Module({})
export class HealthModule {
  /**
   * The absorber checks the broker only and serves `/metrics` on a listener of its own (never on
   * the public port); the worker checks broker and database and serves `/metrics` beside health.
   */
  static forApp(role: ReadinessRole): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: role === 'worker' ? [HealthController, MetricsController] : [HealthController],
      providers: [DrainState, Metrics, { provide: READINESS_ROLE, useValue: role }],
      exports: [DrainState, Metrics],
    };
  }
}
