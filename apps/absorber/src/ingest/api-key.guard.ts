import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { hash, timingSafeEqual } from 'node:crypto';
import { SPILLWAY_CONFIG, SpillwayConfig } from '@spillway/config';
import { NotAuthenticatedError } from './errors';

export const ANONYMOUS_TENANT = 'anonymous';
// RFC 7235: the scheme is case-insensitive (`bearer`, `BEARER`), followed by one or more spaces.
const BEARER = /^Bearer +(\S+)$/i;

/**
 * Bearer API keys, compared as sha256 digests in constant time against every accepted digest
 * (no early exit), so neither the key nor which entry matched leaks through timing.
 * `authenticate` is the check itself; the single-event route calls it directly (see
 * ingest.route.ts), the batch controller through `canActivate`.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly hashes: Buffer[];

  constructor(@Inject(SPILLWAY_CONFIG) config: SpillwayConfig) {
    this.hashes = config.apiKeyHashes;
  }

  /** The tenant of an accepted `Authorization` header; throws NotAuthenticatedError otherwise. */
  authenticate(header: string | undefined): string {
    if (this.hashes.length === 0) return ANONYMOUS_TENANT;
    if (!header) throw new NotAuthenticatedError('missing Authorization header: send "Authorization: Bearer <api key>"');
    const match = BEARER.exec(header);
    if (!match) throw new NotAuthenticatedError('Authorization header must be "Bearer <api key>"');
    // One-shot: no Hash object per request (createHash + update + digest cost a quarter more).
    const digest = hash('sha256', match[1], 'buffer');
    let found = -1;
    for (let i = 0; i < this.hashes.length; i++) if (timingSafeEqual(digest, this.hashes[i])) found = i;
    if (found < 0) throw new NotAuthenticatedError('API key not accepted');
    // The tenant is derived from the key, never the key itself, so it is safe to store and log.
    // No cache of accepted header values (it measured ~3% of the hot path): keys are held only
    // as digests, and every request takes the same constant-time comparison.
    return digest.subarray(0, 8).toString('hex');
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; tenant?: string }>();
    request.tenant = this.authenticate(request.headers.authorization);
    return true;
  }
}
