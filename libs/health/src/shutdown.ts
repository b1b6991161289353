import { INestApplicationContext } from '@nestjs/common';
import type { SpillwayConfig } from '@spillway/config';
import { DrainState } from './drain.state';

/**
 * SIGTERM/SIGINT: readiness fails at once, then (after SHUTDOWN_DELAY_MS, the time a load
 * balancer needs to stop sending) Nest closes: HTTP finishes in-flight requests, consumers finish
 * in-flight deliveries, connections close. A second signal or the timeout forces the exit.
 */
export function installShutdown(app: INestApplicationContext, drain: DrainState, config: SpillwayConfig, role: string): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      process.stderr.write(`${role}: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    drain.startDraining();
    const force = setTimeout(() => {
      process.stderr.write(`${role}: shutdown took over ${config.shutdownTimeoutMs} ms, exiting\n`);
      process.exit(1);
    }, config.shutdownDelayMs + config.shutdownTimeoutMs);
    force.unref();
    await new Promise((r) => setTimeout(r, config.shutdownDelayMs));
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
