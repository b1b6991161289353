import { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import pino from 'pino';
import { loadLambdaConfig } from '@spillway/config';
import { createLogger, logDestination, PinoNestLogger } from '@spillway/health';
import { SqsBatchConsumer } from '@spillway/queue/lambda';
import { HANDLERS } from '../worker.module';
import { LambdaWorkerModule } from './lambda-worker.module';
import { LambdaLedgerSweep } from './lambda-ledger-sweep';

/**
 * One per container: the Nest application context (no HTTP) is built on the first invocation, or
 * during Lambda's init phase (handler.ts), and reused by every later invocation. A start that
 * fails (bad configuration, Postgres unreachable) is not cached: the next invocation tries again.
 */
export class LambdaEntry {
  private app?: Promise<INestApplicationContext>;

  constructor(
    private readonly handlers: Type[] = HANDLERS,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  start(): Promise<INestApplicationContext> {
    this.app ??= this.create().catch((err) => {
      this.app = undefined;
      throw err;
    });
    return this.app;
  }

  private async create(): Promise<INestApplicationContext> {
    const config = loadLambdaConfig(this.env);
    // Synchronous writes: Lambda freezes the process once the handler answers, and a line still
    // buffered would only come out on the next invocation, or never.
    const out = logDestination(config.logFile, true) ?? (config.logFormat === 'json' ? pino.destination({ dest: 1, sync: true }) : undefined);
    const logger = createLogger(config.logLevel, 'worker-lambda', config.logFormat, out);
    // abortOnError false: a failed start must reach the caller, not end the process.
    return NestFactory.createApplicationContext(LambdaWorkerModule.forRoot(config, this.handlers), {
      logger: new PinoNestLogger(logger),
      abortOnError: false,
    });
  }

  async handle(event: SQSEvent, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> {
    const app = await this.start();
    const timeLeft = () => context.getRemainingTimeInMillis();
    const response = await app.get(SqsBatchConsumer).handle(event.Records, timeLeft);
    await app.get(LambdaLedgerSweep).afterBatch(timeLeft);
    return response;
  }

  /** For tests and the bench: closes the pool so the process can end. */
  async close(): Promise<void> {
    const app = await this.app?.catch(() => undefined);
    this.app = undefined;
    await app?.close();
  }
}
