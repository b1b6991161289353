import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { Pool } from 'pg';
import { isLane } from '../../../libs/config/src';
import { History } from './history';
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
}

const MAX_BODY = 64 * 1024;
const digest = (s: string) => createHash('sha256').update(s).digest();

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json; charset=utf-8'): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    // The page loads nothing from elsewhere and is never framed.
    'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'Content-Type must be application/json');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
    return body;
  } catch {
    throw new HttpError(400, 'body must be a JSON object');
  }
}

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
 * dead letters, readiness, weights, and a history sampled here), plus redrive and discard of dead
 * letters per side. Every /api call needs `Authorization: Bearer <token>`; a destructive one also
 * needs `{"confirm": "<side>/<lane>"}`, which the page sends only after the operator confirmed in
 * a dialog. The sampler runs while the server listens.
 */
export function createConsoleServer(o: ConsoleOptions): Server {
  const expected = o.token === undefined ? undefined : digest(o.token);
  const sampleMs = o.sampleMs ?? 10_000;
  const timeoutMs = o.sideTimeoutMs ?? 5000;
  const history = new History(sampleMs);
  const sides = new Map(o.sides.map((s) => [s.name, s]));

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

  const laneAction = async (req: IncomingMessage, sideName: string, lane: string, action: string) => {
    const side = sides.get(sideName);
    if (!side) throw new HttpError(404, `unknown side "${sideName}" (sides: ${[...sides.keys()].join(', ')})`);
    if (!isLane(lane)) throw new HttpError(404, `unknown lane "${lane}" (lanes: critical, normal, low)`);
    const body = await jsonBody(req);
    const what = `${sideName}/${lane}`;
    if (body.confirm !== what) throw new HttpError(400, `confirm: must be "${what}", the side and lane acted on`);
    if (action === 'redrive') return { side: sideName, lane, moved: await side.driver.redrive(lane) };
    const ids = body.ids;
    if (ids !== undefined && (!Array.isArray(ids) || !ids.every((i) => typeof i === 'string'))) throw new HttpError(400, 'ids: must be an array of dead-letter ids');
    return { side: sideName, lane, removed: await side.driver.discardDeadLetters(lane, ids as string[] | undefined) };
  };

  const report = async () => {
    const problems: string[] = [];
    const weights = await readWeights(o.trafficFile);
    if ('error' in weights) problems.push(weights.error as string);
    const w = 'error' in weights ? undefined : (weights as Record<string, number>);
    // Each side settles on its own (readSide never rejects): one dead broker blanks only its column.
    const [columns, ledger] = await Promise.all([
      Promise.all(o.sides.map((side) => readSide(side, { history, timeoutMs, deadLetterLimit: 20, weights: w }))),
      o.db
        ? ledgerRates(o.db, timeoutMs).catch((err) => {
            problems.push(`applied rate: Postgres unreachable (${(err as Error).message})`);
            return undefined;
          })
        : undefined,
    ]);
    return { at: new Date().toISOString(), sampleSeconds: sampleMs / 1000, sides: columns, traffic: weights, ledger: ledger ?? null, problems };
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
    const action = /^\/api\/sides\/([^/]+)\/lanes\/([^/]+)\/(redrive|discard)$/.exec(path);
    if (req.method === 'POST' && action) return send(res, 200, await laneAction(req, action[1], action[2], action[3]));
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
