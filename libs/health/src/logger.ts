import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';

export function createLogger(level: string, name: string, format: 'json' | 'pretty' = 'json', stream?: DestinationStream): Logger {
  const options = {
    name,
    level,
    // Keys and payloads must never reach the logs, whatever a caller passes in.
    redact: {
      paths: ['authorization', '*.authorization', 'headers.authorization', 'data', '*.data', 'apiKey', '*.apiKey'],
      censor: '[redacted]',
    },
  };
  if (format === 'pretty') return pino(options, prettyStream(stream));
  // JSON lines to stdout through pino's own default destination, as ever.
  return stream ? pino(options, stream) : pino(options);
}

const files = new Map<string, DestinationStream>();

/**
 * Where LOG_FILE sends the lines: appended to that file (its folder made if missing), or
 * `undefined` (stdout) when it is unset. One destination per file in a process, however many apps
 * it builds (a test file builds dozens). `sync` writes each line before returning (the Lambda,
 * frozen as soon as it answers); otherwise buffered as on stdout, and flushed at exit.
 */
export function logDestination(file: string | undefined, sync = false): DestinationStream | undefined {
  if (!file) return undefined;
  const key = `${sync ? 'sync' : 'async'}:${file}`;
  let destination = files.get(key);
  if (!destination) {
    destination = pino.destination({ dest: file, append: true, mkdir: true, sync });
    files.set(key, destination);
  }
  return destination;
}

/**
 * One line a record for a person: time, level, app, Nest's context, message, then the other fields.
 * Loaded only when asked for, so the JSON path never loads it. Synchronous, in this thread: a
 * transport's worker thread would lose the last lines of a crash.
 */
function prettyStream(destination?: DestinationStream): DestinationStream {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pretty.build({
    sync: true,
    destination: destination ?? 1,
    translateTime: 'HH:MM:ss.l',
    ignore: 'pid,hostname,context',
    messageFormat: '{if context}{context}: {end}{msg}',
    singleLine: true,
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
