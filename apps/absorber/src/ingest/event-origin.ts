import type { WebhookSource } from '@spillway/config';
import type { EventOrigin } from '@spillway/queue';

const HOOK_TENANT = 'hook:';

/** The rate-limit and idempotency bucket of a webhook source: `hook:<source>` (API-key tenants are hex digests or `anonymous`). */
export function hookTenant(source: string): string {
  return `${HOOK_TENANT}${source}`;
}

/** The origin stamped on an event accepted for `tenant`: the webhook source behind `hook:<name>`, else the API key's tenant. */
export function originOf(tenant: string): EventOrigin {
  return tenant.startsWith(HOOK_TENANT) ? { kind: 'source', name: tenant.slice(HOOK_TENANT.length) } : { kind: 'tenant', name: tenant };
}

/**
 * The type namespaces of the configured webhook sources (`<source>` and `<source>.…`), which only
 * `/v1/hooks/<source>` may fill: an API key sending `gh.push` would pass for a verified GitHub delivery.
 */
export class ReservedTypes {
  private readonly sources: string[];

  constructor(sources: readonly WebhookSource[]) {
    this.sources = sources.map((s) => s.name);
  }

  /** Why `type` may not come through an API key, or undefined. Compared without case, as a reader would. */
  problem(type: string, field = 'type'): string | undefined {
    const lower = type.toLowerCase();
    const owner = this.sources.find((name) => lower === name || lower.startsWith(`${name}.`));
    if (owner === undefined) return undefined;
    return `${field}: "${type}" is in the namespace of webhook source "${owner}" (${owner}.*), which only POST /v1/hooks/${owner} may send; use another type`;
  }
}
