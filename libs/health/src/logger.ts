import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    // Keys and payloads must never reach the logs, whatever a caller passes in.
    redact: {
      paths: ['authorization', '*.authorization', 'headers.authorization', 'data', '*.data', 'apiKey', '*.apiKey'],
      censor: '[redacted]',
    },
  });
}

/** A `{ msg, ...fields }` object logged through Nest's Logger keeps its fields as JSON fields. */
function split(message: unknown, context?: string): [Record<string, unknown>, string] {
  if (message && typeof message === 'object' && typeof (message as { msg?: unknown }).msg === 'string') {
    const { msg, ...fields } = message as { msg: string };
    return [{ context, ...fields }, msg];
  }
  return [{ context }, String(message)];
}

/** Routes Nest's own logging through pino so there is one format and one level. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info(...split(message, context));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn(...split(message, context));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug(...split(message, context));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
