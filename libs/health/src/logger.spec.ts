import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger, logDestination, PinoNestLogger } from './logger';

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

describe('createLogger formats', () => {
  function sink(): { stream: Writable; text: () => string } {
    const out: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        out.push(String(chunk));
        done();
      },
    });
    return { stream, text: () => out.join('') };
  }

  it('writes JSON lines by default (production, compose, EKS)', () => {
    const { stream, text } = sink();
    new PinoNestLogger(createLogger('info', 'absorber', 'json', stream)).log('Mapped {/v1/events, POST} route', 'RouterExplorer');
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 30, name: 'absorber', context: 'RouterExplorer', msg: 'Mapped {/v1/events, POST} route' });
  });

  it('writes one readable line a record when pretty (npm run dev), secrets still redacted', () => {
    const { stream, text } = sink();
    const logger = createLogger('info', 'worker', 'pretty', stream);
    new PinoNestLogger(logger).warn({ msg: 'lane low: delivery failed', attempt: 2 }, 'DeliveryProcessor');
    logger.info({ authorization: 'Bearer secret-key' }, 'request');
    // eslint-disable-next-line no-control-regex -- strips the pretty printer's ANSI colours (ESC [ ... m)
    const lines = text().replace(/\x1b\[[0-9;]*m/g, '').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN \(worker\): DeliveryProcessor: lane low: delivery failed \{"attempt":2\}$/);
    expect(lines[1]).toMatch(/INFO \(worker\): request \{"authorization":"\[redacted\]"\}$/);
    expect(text()).not.toContain('secret-key');
    expect(() => JSON.parse(lines[0])).toThrow();
  });
});

describe('LOG_FILE', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'spillway-log-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is stdout when unset', () => {
    expect(logDestination(undefined)).toBeUndefined();
    expect(logDestination('')).toBeUndefined();
  });

  it('makes the folder, and writes the lines at the level there', () => {
    const file = join(dir, 'nested', 'app.log');
    const destination = logDestination(file, true);
    new PinoNestLogger(createLogger('warn', 'absorber', 'json', destination)).warn('lane low: refused', 'LaneGuard');
    createLogger('warn', 'worker', 'json', destination).info('below the level');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ level: 40, name: 'absorber', context: 'LaneGuard', msg: 'lane low: refused' })]);
  });

  it('appends to what the file holds, through one destination per file however many loggers', () => {
    const file = join(dir, 'app.log');
    writeFileSync(file, 'before\n');
    const destination = logDestination(file, true);
    expect(logDestination(file, true)).toBe(destination);
    createLogger('info', 'absorber', 'json', destination).info('first');
    createLogger('info', 'worker', 'json', logDestination(file, true)).info('second');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('before');
    expect(lines.slice(1).map((l) => JSON.parse(l).msg)).toEqual(['first', 'second']);
  });
});
