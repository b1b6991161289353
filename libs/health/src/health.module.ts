import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DrainState } from './drain.state';
import { HealthController } from './health.controller';
import { Metrics, MetricsController } from './metrics';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController, MetricsController],
  providers: [DrainState, Metrics],
  exports: [DrainState, Metrics],
})
export class HealthModule {}
