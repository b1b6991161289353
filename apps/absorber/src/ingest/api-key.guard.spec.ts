import { loadConfig } from '@spillway/config';
import { ANONYMOUS_TENANT, ApiKeyGuard } from './api-key.guard';
import { NotAuthenticatedError } from './errors';

const guardFor = (keys?: string) => new ApiKeyGuard(loadConfig(keys === undefined ? {} : { INGEST_API_KEYS: keys }));

describe('ApiKeyGuard.authenticate', () => {
  it('lets everyone in as anonymous when no keys are configured', () => {
    expect(guardFor().authenticate(undefined)).toBe(ANONYMOUS_TENANT);
  });

  it('derives the same tenant per key on every request, and different ones per key', () => {
    const guard = guardFor('key-a-5c7e9a1b3d5f7a9c2e4b6d8f0a,key-b-1e3a5c7b9d2f4a6c8e0b3d5f7a');
    const a = guard.authenticate('Bearer key-a-5c7e9a1b3d5f7a9c2e4b6d8f0a');
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(guard.authenticate('Bearer key-a-5c7e9a1b3d5f7a9c2e4b6d8f0a')).toBe(a);
    expect(guard.authenticate('Bearer key-b-1e3a5c7b9d2f4a6c8e0b3d5f7a')).not.toBe(a);
  });

  it('takes the Bearer scheme in any case (RFC 7235), and one or more spaces after it', () => {
    const guard = guardFor('key-a-5c7e9a1b3d5f7a9c2e4b6d8f0a');
    const tenant = guard.authenticate('Bearer key-a-5c7e9a1b3d5f7a9c2e4b6d8f0a');
    for (const header of ['bearer key-a-5c7e9a1b3d5f7a9c2e4b6d8f0a', 'BEARER key-a-5c7e9a1b3d5f7a9c2e4b6d8f0a', 'bEaReR key-a-5c7e9a1b3d5f7a9c2e4b6d8f0a', 'Bearer  key-a-5c7e9a1b3d5f7a9c2e4b6d8f0a']) expect(guard.authenticate(header)).toBe(tenant);
  });

  it('still refuses wrong, missing and malformed credentials after a good key was seen', () => {
    const guard = guardFor('key-a-5c7e9a1b3d5f7a9c2e4b6d8f0a');
    guard.authenticate('Bearer key-a-5c7e9a1b3d5f7a9c2e4b6d8f0a');
    const refuse = (header: string | undefined, message: RegExp) => {
      expect(() => guard.authenticate(header)).toThrow(NotAuthenticatedError);
      expect(() => guard.authenticate(header)).toThrow(message);
    };
    refuse('Bearer key-b-1e3a5c7b9d2f4a6c8e0b3d5f7a', /API key not accepted/);
    refuse('Bearer key-a-5c7e9a1b3d5f7a9c2e4b6d8f0a ', /must be "Bearer <api key>"/);
    refuse('Basic key-a-5c7e9a1b3d5f7a9c2e4b6d8f0a', /must be "Bearer <api key>"/);
    refuse(undefined, /missing Authorization header/);
  });

  it('accepts every one of many configured keys', () => {
    const keys = Array.from({ length: 1100 }, (_, i) => `key-${i}-4f6a8c0e2b5d7f9a1c3e5b7d9f`);
    const guard = guardFor(keys.join(','));
    const first = keys.map((k) => guard.authenticate(`Bearer ${k}`));
    expect(keys.map((k) => guard.authenticate(`Bearer ${k}`))).toEqual(first);
  });
});
