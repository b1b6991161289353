import { chooseSides, parseSideFlag, parseSidesJson, parseTargets, readTargets, sideConfig, Targets } from './sides';

// The definition's targets as synth renders them (deploy/rendered/targets.json, committed).
const TARGETS = readTargets();

describe('console sides', () => {
  it('reads a --side flag into the side\'s broker settings, metrics repeated', () => {
    const side = parseSideFlag('name=hetzner,driver=bullmq,redis=redis://10.0.0.5:6379,prefix=spw,url=https://box.example,metrics=http://a:9464/metrics,metrics=http://w:8081/metrics');
    expect(side).toEqual({
      name: 'hetzner',
      driver: 'bullmq',
      env: { QUEUE_DRIVER: 'bullmq', REDIS_URL: 'redis://10.0.0.5:6379', QUEUE_PREFIX: 'spw' },
      url: 'https://box.example',
      metrics: ['http://a:9464/metrics', 'http://w:8081/metrics'],
    });
    const config = sideConfig(parseSideFlag('name=eks,region=eu-central-1,endpoint=http://127.0.0.1:4566,prefix=spw', TARGETS), { REDIS_URL: 'redis://127.0.0.1:6402' });
    expect([config.queueDriver, config.awsRegion, config.sqsEndpoint, config.queuePrefix]).toEqual(['sqs', 'eu-central-1', 'http://127.0.0.1:4566', 'spw']);
  });

  it('takes a bare target name with its broker from the rendered definition', () => {
    expect(TARGETS.byName).toEqual({ hetzner: { kind: 'compose', driver: 'bullmq' }, eks: { kind: 'eks', driver: 'sqs' } });
    expect(parseSideFlag('hetzner', TARGETS).driver).toBe('bullmq');
    expect(parseSideFlag('eks', TARGETS).driver).toBe('sqs');
    // No name is known without the file: the console maps no names itself.
    expect(() => parseSideFlag('eks')).toThrow('--side eks: driver missing for side "eks" (bullmq or sqs): no target of that name in deploy/rendered/targets.json (missing or empty)');
  });

  it('reads a third target by name, with its own queue prefix and bucket, and its URL from CONSOLE_<NAME>_URL', () => {
    const targets: Targets = parseTargets(
      JSON.stringify({ ...TARGETS.byName, 'staging-2': { kind: 'eks', driver: 'sqs', prefix: 'spillway-staging', bucket: 'spillway-staging-payloads-123456789012' } }),
      'targets.json',
    );
    const [side] = chooseSides(['staging-2'], { CONSOLE_STAGING_2_URL: 'https://staging.example' }, targets);
    expect(side).toEqual({
      name: 'staging-2',
      driver: 'sqs',
      env: { QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: 'spillway-staging', SQS_PAYLOAD_BUCKET: 'spillway-staging-payloads-123456789012' },
      url: 'https://staging.example',
      metrics: [],
    });
    // The side's own keys still win over the target's.
    expect(parseSideFlag('name=staging-2,prefix=other', targets).env.QUEUE_PREFIX).toBe('other');
    expect(() => parseSideFlag('name=staging-2,driver=bullmq', targets)).toThrow('--side name=staging-2,driver=bullmq: driver=bullmq, but target "staging-2" runs sqs (targets.json); name the side otherwise to read another broker');
    expect(() => parseTargets('{"x":{"kind":"eks","driver":"kafka"}}', 'f.json')).toThrow('f.json: target "x": driver must be bullmq or sqs (got "kafka")');
  });

  it('refuses what it cannot use, naming it', () => {
    expect(() => parseSideFlag('name=blue', TARGETS)).toThrow('--side name=blue: driver missing for side "blue" (bullmq or sqs): no target of that name in deploy/rendered/targets.json (targets: hetzner, eks)');
    expect(() => parseSideFlag('name=eks,host=x')).toThrow('--side name=eks,host=x: unknown key "host" (keys: name, driver, redis, prefix, region, endpoint, bucket, url, metrics)');
    expect(() => parseSideFlag('name=eks,driver=kafka')).toThrow('driver must be bullmq or sqs (got "kafka")');
    expect(() => parseSideFlag('name=Hetzner')).toThrow('name must be 1-32 lower-case letters');
    // A password in a flag is visible in ps: refused, and not echoed back.
    let message = '';
    try {
      parseSideFlag('name=hetzner,redis=redis://app:s3cret-pass@10.0.0.5:6379', TARGETS);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('--side name=hetzner,redis=redis://***@10.0.0.5:6379: the redis URL holds a password, which a flag shows to every user (ps); give this side in CONSOLE_SIDES instead');
    expect(() => parseSidesJson('{"name":"eks"}')).toThrow('CONSOLE_SIDES: must be a non-empty JSON array of sides');
  });

  it('takes a password from CONSOLE_SIDES', () => {
    const [side] = parseSidesJson('[{"name":"hetzner","redis":"redis://app:s3cret-pass@10.0.0.5:6379","metrics":["http://a/metrics"]}]', TARGETS);
    expect(side.env.REDIS_URL).toBe('redis://app:s3cret-pass@10.0.0.5:6379');
    expect(side.metrics).toEqual(['http://a/metrics']);
  });

  it('without sides given: one side from the apps\' env, named after its target, with the old URLs', () => {
    expect(chooseSides([], { QUEUE_DRIVER: 'sqs', CONSOLE_EKS_URL: 'https://eks.example', CONSOLE_METRICS_URLS: 'http://a/metrics' }, TARGETS)).toEqual([
      { name: 'eks', driver: 'sqs', env: { QUEUE_DRIVER: 'sqs' }, url: 'https://eks.example', metrics: ['http://a/metrics'] },
    ]);
    expect(() => chooseSides(['eks'], { CONSOLE_SIDES: '[]' })).toThrow('sides given twice: use --side flags or CONSOLE_SIDES, not both');
    expect(() => chooseSides(['eks', 'eks'], {}, TARGETS)).toThrow('side "eks" given twice');
    expect(() => chooseSides(['eks'], { CONSOLE_METRICS_URLS: 'http://a/metrics' }, TARGETS)).toThrow('CONSOLE_METRICS_URLS: with several sides give each side its own metrics= instead');
  });
});
