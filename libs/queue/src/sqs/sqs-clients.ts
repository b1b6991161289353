import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { InitializeMiddleware, MetadataBearer, MiddlewareStack } from '@aws-sdk/types';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { SpillwayConfig } from '@spillway/config';

/**
 * Counts API calls by command name, so the calls-per-event cost can be measured, not guessed; and
 * notes when SQS last answered a call, so readiness can rest on the calls already made.
 */
export class ApiCallCounter {
  readonly calls: Record<string, number> = {};
  /** When an SQS call last succeeded (ms since the epoch); 0 after any SQS call fails. */
  lastAnswerAt = 0;

  total(...names: string[]): number {
    return names.reduce((sum, n) => sum + (this.calls[n] ?? 0), 0);
  }

  /** `answers`: this client's successes and failures say whether SQS is reachable (not S3's). */
  attach(client: SQSClient | S3Client, answers = true): void {
    const middleware: InitializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      this.calls[name] = (this.calls[name] ?? 0) + 1;
      if (!answers) return next(args);
      try {
        const out = await next(args);
        this.lastAnswerAt = Date.now();
        return out;
      } catch (err) {
        this.lastAnswerAt = 0;
        throw err;
      }
    };
    (client.middlewareStack as MiddlewareStack<object, MetadataBearer>).add(middleware, { step: 'initialize', name: 'spillwayApiCallCounter' });
  }
}

function common(config: SpillwayConfig) {
  const endpoint = config.sqsEndpoint;
  // An emulator accepts any credentials; real AWS goes through the SDK's default chain.
  const credentials = endpoint && !process.env.AWS_ACCESS_KEY_ID ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined;
  return { region: config.awsRegion, endpoint, credentials };
}

/** Per-client limits: a request that outlives `requestTimeoutMs` is abandoned (an error, not a hang). */
export interface SqsClientLimits {
  sockets: number;
  requestTimeoutMs: number;
  maxAttempts: number;
}

/**
 * `sockets` bounds parallel requests; consumers hold one socket per long poll, so they get a
 * client of their own and never starve the producer.
 */
export function createSqsClient(config: SpillwayConfig, counter: ApiCallCounter, limits: SqsClientLimits): SQSClient {
  const { sockets, requestTimeoutMs, maxAttempts } = limits;
  const client = new SQSClient({
    ...common(config),
    maxAttempts,
    requestHandler: {
      connectionTimeout: Math.min(2000, requestTimeoutMs),
      requestTimeout: requestTimeoutMs,
      throwOnRequestTimeout: true,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: sockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: sockets }),
    },
  });
  counter.attach(client);
  return client;
}

export function createS3Client(config: SpillwayConfig, counter: ApiCallCounter): S3Client {
  // Emulators serve S3 on the same endpoint, path-style (no `<bucket>.host` DNS needed).
  const client = new S3Client({ ...common(config), forcePathStyle: Boolean(config.sqsEndpoint) });
  counter.attach(client, false);
  return client;
}
