// Run as its own process (node -r @swc-node/register), so Node's trust store is what the env makes it
// (NODE_EXTRA_CA_CERTS is read at start only): connects the BullMQ driver with the apps' config
// (REDIS_URL, QUEUE_PREFIX) and enqueues one event on the lane named in argv; exits 0 once it is held.
import { loadConfig } from '@spillway/config';
import { BullmqDriver } from '@spillway/queue/drivers';
import { Lane } from '@spillway/config/lanes';

async function main(): Promise<number> {
  const lane = process.argv[2] as Lane;
  const driver = new BullmqDriver(loadConfig(process.env));
  try {
    if (!(await driver.waitUntilConnected(5000))) {
      console.error('not connected');
      return 1;
    }
    await driver.enqueue(lane, [{ id: process.argv[3], type: 'tls.check', lane, data: {}, receivedAt: new Date().toISOString() }]);
    return 0;
  } finally {
    await driver.close();
  }
}

main().then((code) => process.exit(code), (err) => {
  console.error((err as Error).message);
  process.exit(1);
});
