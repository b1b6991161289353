import { createServer, Server, Socket, connect } from 'node:net';
import { freePort } from '../../support/redis-server';

/**
 * A TCP relay that delays what the server sends back by `delayMs` (order kept), so requests reach
 * the broker at once but its answers come late: a write that lands after its deadline. Works for
 * any protocol on TCP (Redis, SQS over HTTP).
 */
export class SlowProxy {
  delayMs = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(readonly port: number, private readonly target: { host: string; port: number }) {}

  static async start(target: { host: string; port: number }): Promise<SlowProxy> {
    const proxy = new SlowProxy(await freePort(), target);
    proxy.server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const s of [client, upstream]) {
        proxy.sockets.add(s);
        s.on('close', () => proxy.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream);
      let last = 0;
      upstream.on('data', (chunk: Buffer) => {
        const at = Math.max(Date.now() + proxy.delayMs, last);
        last = at;
        setTimeout(() => client.destroyed || client.write(chunk), at - Date.now());
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => setTimeout(() => client.destroy(), Math.max(0, last - Date.now()) + 10));
    });
    await new Promise<void>((resolve) => proxy.server!.listen(proxy.port, '127.0.0.1', () => resolve()));
    return proxy;
  }

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
