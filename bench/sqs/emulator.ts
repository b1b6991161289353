/**
 * The SQS/S3 emulator (fauxqs 1.9.2) as a process of the bench's own, forked by the runner, with
 * a counter of the API calls that reach it. Counting here, on the server side of the wire, trusts
 * nothing the apps say about themselves and adds no hop to their calls. The runner asks for the
 * counts over the IPC channel ({ type: 'counts' }).
 *   env: BENCH_SQS_PORT (required)
 */
import type { FastifyInstance } from 'fastify';

// fauxqs ships as an ES module only; TypeScript's CommonJS output would turn import() into require().
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(specifier: string) => Promise<T>;

const counts: Record<string, number> = {};

async function main(): Promise<void> {
  const port = Number(process.env.BENCH_SQS_PORT);
  const { buildApp } = await importEsm<{ buildApp(o: object): FastifyInstance }>('fauxqs');
  const app = buildApp({ logger: false });
  app.addHook('onRequest', (req, _reply, done) => {
    // SQS speaks AWS JSON 1.0 (`x-amz-target: AmazonSQS.<Action>`); anything else but the
    // emulator's own health and inspection routes is S3, served path-style on the same port.
    const target = req.headers['x-amz-target'];
    const name = typeof target === 'string' ? target.replace(/^AmazonSQS\./, '') : req.url === '/health' || req.url.startsWith('/_fauxqs') ? undefined : `S3 ${req.method}`;
    if (name) counts[name] = (counts[name] ?? 0) + 1;
    done();
  });
  // Loopback only (fauxqs' own CLI listens on every interface).
  await app.listen({ port, host: '127.0.0.1' });
  process.on('message', (msg: { type?: string }) => {
    if (msg?.type === 'counts') process.send?.({ type: 'counts', counts: { ...counts } });
  });
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
  process.send?.({ type: 'ready' });
}

main().catch((err) => {
  process.stderr.write(`bench emulator: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
