import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** One request as the proxy saw it; `reply` answers it instead of the emulator. */
export interface Intercepted {
  method: string;
  path: string;
  target: string;
  body: Buffer;
}
export type Answer = { status: number; headers?: Record<string, string>; body: string | Buffer };
/** Returns an answer to give instead of the emulator's, or undefined to forward the request. */
export type Interceptor = (req: Intercepted) => Promise<Answer | undefined> | Answer | undefined;

/**
 * A pass-through in front of fauxqs (SQS's JSON protocol and path-style S3 on one endpoint) that
 * lets a test slow down, refuse or rewrite one call. fauxqs itself never fails a call, so this is
 * how a test shows what the code does when SQS or S3 does. Every request not intercepted is
 * forwarded byte for byte, with its method, path and headers.
 */
export class EmulatorProxy {
  intercept: Interceptor = () => undefined;

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(upstream: string): Promise<EmulatorProxy> {
    let proxy: EmulatorProxy | undefined;
    const server = createServer((req, res) => {
      void proxy!.handle(upstream, req).then(
        (a) => res.writeHead(a.status, a.headers ?? {}).end(a.body),
        (err: Error) => res.writeHead(502, { 'content-type': 'text/plain' }).end(err.message),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    proxy = new EmulatorProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  private async handle(upstream: string, req: IncomingMessage): Promise<Answer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const seen: Intercepted = { method: req.method ?? 'GET', path: req.url ?? '/', target: String(req.headers['x-amz-target'] ?? ''), body };
    const own = await this.intercept(seen);
    if (own) return own;
    return this.forward(upstream, seen, req.headers as Record<string, string>);
  }

  /** Sends the request on to the emulator (a test's interceptor may call it with a changed body). */
  async forward(upstream: string, req: Intercepted, headers: Record<string, string> = {}): Promise<Answer> {
    const sent = { ...headers };
    delete sent.host;
    delete sent['content-length'];
    delete sent.connection;
    const res = await fetch(`${upstream}${req.path}`, {
      method: req.method,
      headers: sent,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : new Uint8Array(req.body),
    });
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(k)) out[k] = v;
    });
    return { status: res.status, headers: out, body: Buffer.from(await res.arrayBuffer()) };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}
