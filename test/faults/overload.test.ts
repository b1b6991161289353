import { Lane, LANES } from '@spillway/config';
import { Stack } from './support/stack';

const post = (url: string, body: object, key?: string) =>
  fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });

describe('overload', () => {
  let stack: Stack;
  afterEach(() => stack.stop());

  it('sheds a lane over its high-water mark with 503 + Retry-After: low first, critical last', async () => {
    stack = await Stack.start({ LANE_HIGH_WATER: 'critical=30,normal=20,low=10' });
    const absorber = await stack.addAbsorber(); // no worker: the backlog only grows
    const firstShed: Partial<Record<Lane, number>> = {};
    let message = '';
    for (let round = 0; round < 60 && Object.keys(firstShed).length < 3; round++) {
      for (const lane of LANES) {
        if (firstShed[lane] !== undefined) continue;
        const res = await post(absorber.url, { type: 'fault.count', data: {}, priority: lane });
        if (res.status === 503) {
          firstShed[lane] = round;
          expect(res.headers.get('retry-after')).toBe('5');
          message = ((await res.json()) as { message: string }).message;
        } else expect(res.status).toBe(202);
      }
      await new Promise((r) => setTimeout(r, 300)); // the shedder samples depth every 250 ms
    }
    expect(firstShed.low).toBeDefined();
    expect(firstShed.normal).toBeGreaterThan(firstShed.low!);
    expect(firstShed.critical).toBeGreaterThan(firstShed.normal!);
    expect(message).toMatch(/^lane critical is over its high-water mark \(\d+ >= 30 waiting\)/);
  });

  it('answers a tenant over its rate with 429 + Retry-After, without slowing another tenant', async () => {
    stack = await Stack.start({ INGEST_API_KEYS: 'tenant-a-3c5e7a9b1d3f5a7c9e2b4d6f,tenant-b-8e0a2c4f6b9d1e3a5c7e9b1d', TENANT_RATE_LIMIT: '20' });
    const absorber = await stack.addAbsorber();
    const statuses: number[] = [];
    let refusal: Response | undefined;
    for (let i = 0; i < 60; i++) {
      const res = await post(absorber.url, { type: 'fault.count', data: {} }, 'tenant-a-3c5e7a9b1d3f5a7c9e2b4d6f');
      statuses.push(res.status);
      if (res.status === 429 && !refusal) refusal = res;
    }
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(40); // the 2 s burst
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(Number(refusal!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refusal!.json()) as { message: string }).message).toMatch(/^tenant over its rate of 20 events\/s; retry in \d+ s/);
    expect((await post(absorber.url, { type: 'fault.count', data: {} }, 'tenant-b-8e0a2c4f6b9d1e3a5c7e9b1d')).status).toBe(202);
  });
});
