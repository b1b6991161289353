import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { Pool } from 'pg';
import { History } from './history';
import { HttpError, send } from './http';
import { LetterLock } from './letter-lock';
import { lettersApi } from './letters-api';
import { CONSOLE_PAGE } from './page';
import { ConsoleSide, ledgerRates, readSide, readWeights, sampleSide } from './side-report';

export interface ConsoleOptions {
  /** Every broker shown, one column each, in this order. */
  sides: ConsoleSide[];
  /** The ledger both sides' workers write: the applied rate per lane (both sides together). */
  db?: Pool;
  /** undefined: auth turned off explicitly (CONSOLE_AUTH=off). */
  token?: string;
  /**
   * Without a token, the Host names requests may carry besides loopback (CONSOLE_ALLOWED_HOSTS):
   * a page on another site that re-points its own name at 127.0.0.1 (DNS rebinding) still sends
   * its own name, and is refused.
   */
  allowedHosts?: string[];
  trafficFile: string;
  /** How often each side is sampled for the history (default 10 s); the history keeps one hour. */
  sampleMs?: number;
  /** Each side's reads give up after this long (default 5 s): that side shows as unreachable. */
  sideTimeoutMs?: number;
  /** Finding, opening and acting on letters and tracing an event read every letter: their bound (default 30 s). */
  lettersTimeoutMs?: number;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The hostname of a Host header (`name:port`, `[::1]:port`), lower case; undefined if unreadable. */
function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  try {
    return new URL(`http://${header}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

const isLoopback = (name: string) => name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);

/**
 * The operator console: one page and a small JSON API showing every side side by side (depth,
 * dead letters, readiness, weights, and a history sampled here), plus finding, opening, redriving
 * and discarding dead letters per side, and tracing an event (letters-api.ts). Every /api call needs `Authorization: Bearer <token>`; a destructive one also
 * needs `{"confirm": "<side>/<lane>"}`, which the page sends only after the operator confirmed in
 * a dialog. The sampler runs while the server listens.
 */
export function createConsoleServer(o: ConsoleOptions): Server {
  const expected = o.token === undefined ? undefined : digest(o.token);
  const sampleMs = o.sampleMs ?? 10_000;
  const timeoutMs = o.sideTimeoutMs ?? 5000;
  const history = new History(sampleMs);
  const sides = new Map(o.sides.map((s) => [s.name, s]));
  const lock = new LetterLock();
  const letters = lettersApi({ sides, db: o.db, lock, timeoutMs: o.lettersTimeoutMs ?? 30_000 });

  const allowed = new Set((o.allowedHosts ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean));
  /** Without a token, only loopback or a configured name may be in Host (DNS rebinding). */
  const checkHost = (req: IncomingMessage) => {
    if (expected) return;
    const name = hostName(req.headers.host);
    if (name && (isLoopback(name) || allowed.has(name))) return;
    throw new HttpError(
      403,
      `Host "${req.headers.host ?? ''}" refused: with CONSOLE_AUTH=off only loopback names${allowed.size ? ` and ${[...allowed].join(', ')}` : ''} are served (a page on another site can point its name at this console); add the name to CONSOLE_ALLOWED_HOSTS or set CONSOLE_TOKEN`,
    );
  };

  const authorize = (req: IncomingMessage) => {
    if (!expected) return;
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!given || !timingSafeEqual(digest(given), expected)) {
      throw new HttpError(401, 'missing or wrong console token: send Authorization: Bearer <CONSOLE_TOKEN>');
    }
  };

  const report = async () => {
    const problems: string[] = [];
    const weights = await readWeights(o.trafficFile);
    if ('error' in weights) problems.push(weights.error as string);
    const w = 'error' in weights ? undefined : (weights as Record<string, number>);
    // Each side settles on its own (readSide never rejects): one dead broker blanks only its column.
    const [columns, ledger] = await Promise.all([
      Promise.all(o.sides.map((side) => readSide(side, { history, timeoutMs, deadLetterLimit: 20, weights: w, letters: (lane, read) => lock.forReport(side.name, lane, read) }))),
      o.db
        ? ledgerRates(o.db, timeoutMs).catch((err) => {
            problems.push(`applied rate: Postgres unreachable (${(err as Error).message})`);
            return undefined;
          })
        : undefined,
    ]);
    return { at: new Date().toISOString(), sampleSeconds: sampleMs / 1000, sides: columns, traffic: weights, ledger: ledger ?? null, problems };
  };

  /** `/api/sides/<side>/...`: the lanes' letters and actions, and one event's trace. */
  const sideRoute = async (req: IncomingMessage, path: string, query: URLSearchParams): Promise<unknown> => {
    const m = /^\/api\/sides\/([^/]+)\/(.+)$/.exec(path);
    if (!m) return undefined;
    let side: string;
    let parts: string[];
    try {
      side = decodeURIComponent(m[1]);
      parts = m[2].split('/').map(decodeURIComponent);
    } catch {
      throw new HttpError(400, `path ${path}: bad %-escape`);
    }
    const [kind, a, b, c, d] = parts;
    if (req.method === 'GET' && kind === 'events' && a !== undefined && parts.length === 2) return letters.trace(side, a);
    if (kind !== 'lanes' || a === undefined) return undefined;
    if (req.method === 'POST' && parts.length === 3 && (b === 'redrive' || b === 'discard')) return letters.act(req, side, a, b);
    if (req.method !== 'GET' || b !== 'letters') return undefined;
    if (parts.length === 3) return letters.list(side, a, query);
    if (parts.length === 4) return letters.letter(side, a, c);
    if (parts.length === 6 && d === 'events') return letters.payload(side, a, c, parts[5]);
    return undefined;
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://console');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/health/live') return send(res, 200, { status: 'ok' });
    checkHost(req);
    if (req.method === 'GET' && path === '/') return send(res, 200, CONSOLE_PAGE(expected !== undefined), 'text/html; charset=utf-8');
    if (!path.startsWith('/api/')) throw new HttpError(404, `no route ${req.method} ${path}`);
    authorize(req);
    if (req.method === 'GET' && path === '/api/report') return send(res, 200, await report());
    const answer = await sideRoute(req, path, url.searchParams);
    if (answer !== undefined) return send(res, 200, answer);
    throw new HttpError(404, `no route ${req.method} ${path}`);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err) => {
      const status = err instanceof HttpError ? err.status : 502;
      send(res, status, { statusCode: status, message: err instanceof HttpError ? err.message : `broker error: ${(err as Error).message}` });
    });
  });
  // One sample of every side per tick; a tick still running (a slow side) makes the next one skip.
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    await Promise.all(o.sides.map((side) => sampleSide(side, history, timeoutMs))).finally(() => (busy = false));
  };
  server.on('listening', () => {
    void tick();
    timer = setInterval(() => void tick(), sampleMs);
  });
  server.on('close', () => clearInterval(timer));
  return server;
}
