import { chooseSides, parseSideFlag, parseSidesJson, sideConfig } from './sides';

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
    const config = sideConfig(parseSideFlag('name=eks,region=eu-central-1,endpoint=http://127.0.0.1:4566,prefix=spw'), { REDIS_URL: 'redis://127.0.0.1:6402' });
    expect([config.queueDriver, config.awsRegion, config.sqsEndpoint, config.queuePrefix]).toEqual(['sqs', 'eu-central-1', 'http://127.0.0.1:4566', 'spw']);
  });

  it('takes a bare target name with its driver', () => {
    expect(parseSideFlag('hetzner').driver).toBe('bullmq');
    expect(parseSideFlag('eks').driver).toBe('sqs');
  });

  it('refuses what it cannot use, naming it', () => {
    expect(() => parseSideFlag('name=blue')).toThrow('--side name=blue: driver missing for side "blue" (bullmq or sqs)');
    expect(() => parseSideFlag('name=eks,host=x')).toThrow('--side name=eks,host=x: unknown key "host" (keys: name, driver, redis, prefix, region, endpoint, bucket, url, metrics)');
    expect(() => parseSideFlag('name=eks,driver=kafka')).toThrow('driver must be bullmq or sqs (got "kafka")');
    expect(() => parseSideFlag('name=Hetzner')).toThrow('name must be 1-32 lower-case letters');
    // A password in a flag is visible in ps: refused, and not echoed back.
    let message = '';
    try {
      parseSideFlag('name=hetzner,redis=redis://app:s3cret-pass@10.0.0.5:6379');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('--side name=hetzner,redis=redis://***@10.0.0.5:6379: the redis URL holds a password, which a flag shows to every user (ps); give this side in CONSOLE_SIDES instead');
    expect(() => parseSidesJson('{"name":"eks"}')).toThrow('CONSOLE_SIDES: must be a non-empty JSON array of sides');
  });

  it('takes a password from CONSOLE_SIDES', () => {
    const [side] = parseSidesJson('[{"name":"hetzner","redis":"redis://app:s3cret-pass@10.0.0.5:6379","metrics":["http://a/metrics"]}]');
    expect(side.env.REDIS_URL).toBe('redis://app:s3cret-pass@10.0.0.5:6379');
    expect(side.metrics).toEqual(['http://a/metrics']);
  });

  it('without sides given: one side from the apps\' env, named after its target, with the old URLs', () => {
    expect(chooseSides([], { QUEUE_DRIVER: 'sqs', CONSOLE_EKS_URL: 'https://eks.example', CONSOLE_METRICS_URLS: 'http://a/metrics' })).toEqual([
      { name: 'eks', driver: 'sqs', env: { QUEUE_DRIVER: 'sqs' }, url: 'https://eks.example', metrics: ['http://a/metrics'] },
    ]);
    expect(() => chooseSides(['eks'], { CONSOLE_SIDES: '[]' })).toThrow('sides given twice: use --side flags or CONSOLE_SIDES, not both');
    expect(() => chooseSides(['eks', 'eks'], {})).toThrow('side "eks" given twice');
    expect(() => chooseSides(['eks'], { CONSOLE_METRICS_URLS: 'http://a/metrics' })).toThrow('CONSOLE_METRICS_URLS: with several sides give each side its own metrics= instead');
  });
});
