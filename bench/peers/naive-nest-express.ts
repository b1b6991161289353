/**
 * The naive peer the issue measures against: NestJS on its default Express adapter, with
 * @nestjs/bullmq and one `queue.add` per request (one job, one Lua script, one round trip per
 * event). Written the way the docs show it, on purpose: no batching, no tuning.
 */
import 'reflect-metadata';
import { BullModule, InjectQueue } from '@nestjs/bullmq';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';

@Controller()
class EventsController {
  constructor(@InjectQueue('events') private readonly queue: Queue) {}

  @Post('v1/events')
  @HttpCode(202)
  async accept(@Body() body: { type: string; data: unknown }) {
    const job = await this.queue.add(body.type, body, { removeOnComplete: true });
    return { id: job.id, lane: 'normal' };
  }

  @Get('health/live')
  live() {
    return { status: 'ok' };
  }
}

const redis = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

@Module({
  imports: [
    BullModule.forRoot({ connection: { host: redis.hostname, port: Number(redis.port || 6379) } }),
    BullModule.registerQueue({ name: 'events' }),
  ],
  controllers: [EventsController],
})
class NaiveModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(NaiveModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

main().catch((err) => {
  process.stderr.write(`naive-nest-express: ${(err as Error).stack}\n`);
  process.exit(1);
});
