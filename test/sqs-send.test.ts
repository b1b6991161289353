import { CreateQueueCommand, DeleteQueueCommand, SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { ApiCallCounter, createSqsClient } from '@spillway/queue/sqs/sqs-clients';
import { certainlyNotSent, SentReport, sendEntries } from '@spillway/queue/sqs/sqs-send';
import { testConfig, uniquePrefix } from './support/env';
import { freePort } from './support/redis-server';

/**
 * What `sendEntries` reports for each message: held only when SQS listed it Successful; refused
 * only when nothing can have been stored (a connection refused, a 4xx on the only attempt, an
 * entry SQS listed Failed twice); unknown otherwise (a 5xx, a timeout, a reset, any error after a
 * retry). The absorber's 202 / 503 / 504 rest on these three words.
 *
 * Held and per-entry refusals go to fauxqs. fauxqs cannot be made to answer 500, hang or reset,
 * so those cases talk to a small HTTP server that answers the SQS JSON protocol's error shape
 * (status, `__type`, `message`), which is all the SDK reads from an error.
 */
describe('SQS sendEntries: each message held, refused or unknown, as SQS answered', () => {
  const entry = (id: string, body = `{"n":"${id}"}`) => ({ entry: { Id: id, MessageBody: body } as SendMessageBatchRequestEntry, bytes: body.length + 200 });
  const clientFor = (endpoint: string, maxAttempts = 1, requestTimeoutMs = 2000) => {
    const calls = new ApiCallCounter();
    const entriesPerCall: number[] = [];
    const client = createSqsClient(testConfig({ QUEUE_DRIVER: 'sqs', SQS_ENDPOINT: endpoint }), calls, { sockets: 8, requestTimeoutMs, maxAttempts });
    client.middlewareStack.add(
      (next) => async (args) => {
        entriesPerCall.push(((args.input as { Entries?: unknown[] }).Entries ?? []).length);
        return next(args);
      },
      { step: 'initialize', name: 'entriesPerCall' },
    );
    return { client, calls, entriesPerCall };
  };
  const outcomes = (reports: SentReport[]) => reports.map((r) => r.outcome);

  describe('against fauxqs', () => {
    const admin = new SQSClient({ region: 'us-east-1', endpoint: process.env.SQS_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    let url: string;
    let small: string;
    beforeAll(async () => {
      url = (await admin.send(new CreateQueueCommand({ QueueName: uniquePrefix('send') }))).QueueUrl!;
      // A queue whose limit one test message passes over: SQS then lists that entry as Failed.
      small = (await admin.send(new CreateQueueCommand({ QueueName: uniquePrefix('send-small'), Attributes: { MaximumMessageSize: '1024' } }))).QueueUrl!;
    });
    afterAll(async () => {
      await admin.send(new DeleteQueueCommand({ QueueUrl: url }));
      await admin.send(new DeleteQueueCommand({ QueueUrl: small }));
      admin.destroy();
    });

    it('25 messages go in calls of 10, 10 and 5, and every one is reported held', async () => {
      const { client, entriesPerCall } = clientFor(process.env.SQS_ENDPOINT!);
      const reports = await sendEntries(client, url, Array.from({ length: 25 }, (_, i) => entry(String(i))));
      client.destroy();
      expect(outcomes(reports)).toEqual(Array(25).fill('held'));
      expect(entriesPerCall.sort((a, b) => a - b)).toEqual([5, 10, 10]);
    });

    it('an entry SQS lists as Failed is retried once on its own, then refused with SQS\'s reason; the others are held', async () => {
      const { client, entriesPerCall } = clientFor(process.env.SQS_ENDPOINT!);
      const entries = Array.from({ length: 12 }, (_, i) => (i === 3 ? entry('big', JSON.stringify({ pad: 'x'.repeat(2000) })) : entry(String(i))));
      const reports = await sendEntries(client, small, entries);
      client.destroy();
      expect(outcomes(reports)).toEqual(entries.map((_, i) => (i === 3 ? 'refused' : 'held')));
      expect(reports[3].reason).toMatch(/^SQS refused the message \(\S+: .+\)$/);
      // The first call of 10 and its retry of the one failed entry; the call of 2 succeeds whole.
      expect(entriesPerCall.sort((a, b) => a - b)).toEqual([1, 2, 10]);
    });

    it('a queue that does not exist (a 4xx) is refused for every entry', async () => {
      const { client } = clientFor(process.env.SQS_ENDPOINT!);
      const reports = await sendEntries(client, `${url}-gone`, [entry('a'), entry('b')]);
      client.destroy();
      expect(outcomes(reports)).toEqual(['refused', 'refused']);
      expect(reports[0].reason).toBeTruthy();
    });
  });

  describe('against a server that fails as SQS or the network can', () => {
    let server: Server;
    let endpoint: string;
    let answer: (req: IncomingMessage, res: ServerResponse, n: number) => void;
    let requests = 0;
    const fail = (res: ServerResponse, status: number, type: string) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: `com.amazonaws.sqs#${type}`, message: `${type} from the test server` }));
    };
    beforeAll(async () => {
      server = createServer((req, res) => req.resume().on('end', () => answer(req, res, ++requests)));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    beforeEach(() => (requests = 0));
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    const send = async (maxAttempts = 1, requestTimeoutMs = 2000) => {
      const { client } = clientFor(endpoint, maxAttempts, requestTimeoutMs);
      try {
        return await sendEntries(client, `${endpoint}/000000000000/q`, [entry('a'), entry('b')]);
      } finally {
        client.destroy();
      }
    };

    it('a 5xx is unknown: SQS may have stored the messages before it failed', async () => {
      answer = (_req, res) => fail(res, 500, 'InternalError');
      const reports = await send();
      expect(outcomes(reports)).toEqual(['unknown', 'unknown']);
      expect(reports[0].reason).toMatch(/InternalError from the test server/);
      expect(requests).toBe(1);
    });

    it('a 4xx on the only attempt is refused', async () => {
      answer = (_req, res) => fail(res, 400, 'InvalidParameterValue');
      expect(outcomes(await send())).toEqual(['refused', 'refused']);
    });

    it('a 4xx after a retried 5xx is unknown: the first attempt may have landed', async () => {
      answer = (_req, res, n) => (n === 1 ? fail(res, 500, 'InternalError') : fail(res, 400, 'InvalidParameterValue'));
      const reports = await send(2);
      expect(requests).toBe(2);
      expect(outcomes(reports)).toEqual(['unknown', 'unknown']);
    });

    it('no answer within the request timeout is unknown', async () => {
      answer = () => undefined; // holds the request open until the client gives up
      expect(outcomes(await send(1, 300))).toEqual(['unknown', 'unknown']);
    });

    // Not what SQS does, but what the code must not take for "held": an entry that the answer
    // lists neither as Successful nor as Failed keeps its outcome unknown.
    it('an answer that lists an entry neither Successful nor Failed leaves it unknown', async () => {
      answer = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{}');
      };
      expect(outcomes(await send())).toEqual(['unknown', 'unknown']);
    });

    it('a connection reset after the request was read is unknown', async () => {
      answer = (req) => req.socket.destroy();
      expect(outcomes(await send())).toEqual(['unknown', 'unknown']);
    });
  });

  it('a port nothing listens on (connection refused) is refused: nothing reached SQS', async () => {
    const port = await freePort();
    const { client } = clientFor(`http://127.0.0.1:${port}`);
    const reports = await sendEntries(client, `http://127.0.0.1:${port}/000000000000/q`, [entry('a')]);
    client.destroy();
    expect(reports).toEqual([{ outcome: 'refused', reason: expect.stringMatching(/ECONNREFUSED/) }]);
  });

  // The SDK sometimes hands back the socket error wrapped in one that keeps only its text, with
  // no code: the text alone must still read as refused, and only for a connect that was refused.
  it.each([
    ['the socket error itself', true, Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })],
    ['a wrapper that keeps only its text', true, new Error('socket hang up: connect ECONNREFUSED 127.0.0.1:9')],
    // Node's connect to a name with several addresses (localhost: ::1 and 127.0.0.1) fails with an
    // AggregateError that has the code and an empty message.
    ['every address refused (AggregateError: the code, no text)', true, Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' })],
    ['a refused connect after a retry', false, Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', $metadata: { attempts: 2 } })],
    ['a reset', false, Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['text that only mentions the word', false, new Error('xconnect ECONNREFUSEDx')],
    ['a 499', true, Object.assign(new Error('x'), { $metadata: { httpStatusCode: 499, attempts: 1 } })],
    ['a 500', false, Object.assign(new Error('x'), { $metadata: { httpStatusCode: 500, attempts: 1 } })],
    ['a 399', false, Object.assign(new Error('x'), { $metadata: { httpStatusCode: 399, attempts: 1 } })],
    ['no status at all', false, new Error('x')],
  ])('certainlyNotSent: %s -> %s', (_what, expected, err) => {
    expect(certainlyNotSent(err)).toBe(expected);
  });
});
