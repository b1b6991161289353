// The absorber's listener against slow and idle clients. Node's defaults wait 300 s for a request
// and check that only every 30 s, and take any number of connections; on the box the port faces
// the internet (through Caddy at best), so a few thousand half-sent requests could hold it.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { SpillwayConfig } from '@spillway/config';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Fastify adapter options: the server is built here (serverFactory) so that every limit, including
 * `maxConnections`, which Node only takes on the server object, is set in one place.
 */
export function slowClientLimits(config: SpillwayConfig): { serverFactory: (handler: Handler) => Server } {
  const { requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs, maxConnections } = config.http;
  return {
    serverFactory: (handler) => {
      const server = createServer(
        {
          requestTimeout: requestTimeoutMs,
          headersTimeout: headersTimeoutMs,
          keepAliveTimeout: keepAliveTimeoutMs,
          // How often Node looks for requests over those timeouts (default 30 s): a quarter of the
          // headers timeout, so a half-sent request is cut within 1.25x of it.
          connectionsCheckingInterval: Math.max(100, Math.floor(headersTimeoutMs / 4)),
        },
        handler,
      );
      // Connections over the cap are closed at once by Node, before any byte is read.
      if (maxConnections > 0) server.maxConnections = maxConnections;
      return server;
    },
  };
}
