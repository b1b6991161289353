import { UnauthorizedException } from '@nestjs/common';
import { loadConfig } from '../../../../libs/config/src';
import { ANONYMOUS_TENANT, ApiKeyGuard } from './api-key.guard';

const guardFor = (keys?: string) => new ApiKeyGuard(loadConfig(keys === undefined ? {} : { INGEST_API_KEYS: keys }));

describe('ApiKeyGuard.authenticate', () => {
  it('lets everyone in as anonymous when no keys are configured', () => {
    expect(guardFor().authenticate(undefined)).toBe(ANONYMOUS_TENANT);
  });

  it('derives the same tenant per key on every request, and different ones per key', () => {
    const guard = guardFor('key-a,key-b');
    const a = guard.authenticate('Bearer key-a');
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(guard.authenticate('Bearer key-a')).toBe(a);
    expect(guard.authenticate('Bearer key-b')).not.toBe(a);
  });

  it('takes the Bearer scheme in any case (RFC 7235), and one or more spaces after it', () => {
    const guard = guardFor('key-a');
    const tenant = guard.authenticate('Bearer key-a');
    for (const header of ['bearer key-a', 'BEARER key-a', 'bEaReR key-a', 'Bearer  key-a']) expect(guard.authenticate(header)).toBe(tenant);
  });

  it('still refuses wrong, missing and malformed credentials after a good key was seen', () => {
    const guard = guardFor('key-a');
    guard.authenticate('Bearer key-a');
    const refuse = (header: string | undefined, message: RegExp) => {
      expect(() => guard.authenticate(header)).toThrow(UnauthorizedException);
      expect(() => guard.authenticate(header)).toThrow(message);
    };
    refuse('Bearer key-b', /API key not accepted/);
    refuse('Bearer key-a ', /must be "Bearer <api key>"/);
    refuse('Basic key-a', /must be "Bearer <api key>"/);
    refuse(undefined, /missing Authorization header/);
  });

  it('accepts every one of many configured keys', () => {
    const keys = Array.from({ length: 1100 }, (_, i) => `k${i}`);
    const guard = guardFor(keys.join(','));
    const first = keys.map((k) => guard.authenticate(`Bearer ${k}`));
    expect(keys.map((k) => guard.authenticate(`Bearer ${k}`))).toEqual(first);
  });
});
