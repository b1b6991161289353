import 'reflect-metadata';
import { loadConfigOrExit } from '../../../libs/config/src';
import { DrainState, installShutdown } from '../../../libs/health/src';
import { createAbsorber } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env, 'absorber');
  const app = await createAbsorber(config);
  installShutdown(app, app.get(DrainState), config, 'absorber');
  await app.listen(config.port, '0.0.0.0');
}

main().catch((err) => {
  process.stderr.write(`absorber: failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
