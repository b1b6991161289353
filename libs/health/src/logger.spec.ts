import { Writable } from 'node:stream';
import pino from 'pino';
import { PinoNestLogger } from './logger';

function capture(): { logger: PinoNestLogger; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      out.push(String(chunk));
      done();
    },
  });
  const logger = new PinoNestLogger(pino({ level: 'debug', redact: { paths: ['data', '*.data'], censor: '[redacted]' } }, stream));
  return { logger, lines: () => out.join('').trim().split('\n').map((l) => JSON.parse(l)) };
}

describe('PinoNestLogger', () => {
  it('keeps the fields of a { msg, ...fields } message as JSON fields (trace contexts on worker lines)', () => {
    const { logger, lines } = capture();
    logger.warn({ msg: 'lane low: delivery failed', traceparents: ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'], attempt: 2 }, 'DeliveryProcessor');
    expect(lines()[0]).toMatchObject({
      level: 40,
      msg: 'lane low: delivery failed',
      context: 'DeliveryProcessor',
      attempt: 2,
      traceparents: ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    });
  });

  it('logs a plain string as before', () => {
    const { logger, lines } = capture();
    logger.log('consuming lane low', 'LaneConsumers');
    expect(lines()[0]).toMatchObject({ level: 30, msg: 'consuming lane low', context: 'LaneConsumers' });
  });
});
