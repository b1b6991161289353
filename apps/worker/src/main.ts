import 'reflect-metadata';
import { loadConfigOrExit } from '@spillway/config';
import { DrainState, installShutdown } from '@spillway/health';
import { createWorker } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await createWorker(config);
  installShutdown(app, app.get(DrainState), config, 'worker');
  await app.listen(config.workerHealthPort, '0.0.0.0');
}

main().catch((err) => {
  process.stderr.write(`worker: failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
