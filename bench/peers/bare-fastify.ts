/**
 * The ceiling: Fastify parsing the same JSON body and answering 202, with no validation, no auth
 * and no broker. Nothing can absorb faster than this on the same machine.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';

async function main(): Promise<void> {
  const app = Fastify({ logger: false });
  app.post('/v1/events', async (_req, reply) => {
    reply.code(202);
    return { id: randomUUID(), lane: 'normal' };
  });
  app.get('/health/live', async () => ({ status: 'ok' }));
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

main().catch((err) => {
  process.stderr.write(`bare-fastify: ${(err as Error).stack}\n`);
  process.exit(1);
});
