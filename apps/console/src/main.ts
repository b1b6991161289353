import 'reflect-metadata';
import { loadConfigOrExit } from '../../../libs/config/src';
import { openSources } from '../../../libs/ops/src';
import { createConsoleServer } from './console-server';

const HELP = `usage: npm run console

The operator console: a web page with, per lane, depth, age of the oldest event, in/out rates,
dead letters with their last error (redrive or discard them, after a confirmation), the cutover
weights and both sides' readiness. Reads the apps' environment (QUEUE_DRIVER, REDIS_URL or
SQS_ENDPOINT, QUEUE_PREFIX, DATABASE_URL) and:

  CONSOLE_TOKEN          required: the page and every API call need it (Bearer token)
  CONSOLE_AUTH=off       run without a token (only on a trusted network); requests must then
                         name a loopback host (localhost, 127.0.0.1, [::1]) or one of
  CONSOLE_ALLOWED_HOSTS  comma list of names the console is reached by without a token
  CONSOLE_PORT           default 8090
  CONSOLE_HOST           default 127.0.0.1 (0.0.0.0 to listen on every interface)
  CONSOLE_HETZNER_URL    the Hetzner side's base URL (its /health/ready is shown)
  CONSOLE_EKS_URL        the EKS side's base URL
  CONSOLE_METRICS_URLS   comma list of absorbers' /metrics URLs (the in-rate)
  CONSOLE_TRAFFIC_FILE   default deploy/traffic.json`;

function fail(message: string, code: number): never {
  process.stderr.write(`console: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) return void process.stdout.write(`${HELP}\n`);
  const unknown = process.argv.slice(2).find((a) => a !== '--help');
  if (unknown) fail(`unknown argument ${unknown}; settings come from the environment (see --help)`, 2);
  const env = process.env;
  const token = env.CONSOLE_TOKEN?.trim();
  if (env.CONSOLE_AUTH !== 'off' && !token) fail('CONSOLE_TOKEN is not set: set a token (or CONSOLE_AUTH=off on a trusted network)', 78);
  if (token && token.length < 16) fail('CONSOLE_TOKEN: must be at least 16 characters', 78);
  const port = Number(env.CONSOLE_PORT ?? 8090);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`CONSOLE_PORT: "${env.CONSOLE_PORT}" is not a port`, 78);
  const config = loadConfigOrExit();
  const sources = await openSources(config).catch((err) => fail((err as Error).message, 1));
  const server = createConsoleServer({
    ...sources,
    token: env.CONSOLE_AUTH === 'off' ? undefined : token,
    allowedHosts: (env.CONSOLE_ALLOWED_HOSTS ?? '').split(','),
    trafficFile: env.CONSOLE_TRAFFIC_FILE ?? 'deploy/traffic.json',
    hetznerUrl: env.CONSOLE_HETZNER_URL,
    eksUrl: env.CONSOLE_EKS_URL,
    metricsUrls: (env.CONSOLE_METRICS_URLS ?? '').split(',').filter(Boolean),
  });
  const host = env.CONSOLE_HOST ?? '127.0.0.1';
  server.listen(port, host, () => {
    const where = server.address();
    const bound = typeof where === 'object' && where ? where.port : port;
    process.stdout.write(`console on http://${host}:${bound}/ (driver ${config.queueDriver}${token && env.CONSOLE_AUTH !== 'off' ? '' : ', AUTH OFF'})\n`);
  });
  const stop = () => server.close(() => void sources.close().then(() => process.exit(0)));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => fail((err as Error).message, 1));
