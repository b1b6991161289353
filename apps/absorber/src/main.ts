import 'reflect-metadata';
import { loadConfigOrExit } from '@spillway/config';
import { DrainState, installShutdown } from '@spillway/health';
import { createAbsorber } from './bootstrap';
import { MetricsListener } from './metrics-listener';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env, 'absorber');
  const app = await createAbsorber(config);
  installShutdown(app, app.get(DrainState), config, 'absorber');
  // Metrics first: a port clash stops the start before any traffic is taken.
  await app.get(MetricsListener).listen(config.metricsPort, config.metricsHost);
  await app.listen(config.port, '0.0.0.0');
}

main().catch((err) => {
  process.stderr.write(`absorber: failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
