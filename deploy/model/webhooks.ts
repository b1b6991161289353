// Webhook sources of the definition (`webhooks`): what they render to, and what they must hold.
// Both targets get the same three things from here: WEBHOOK_SOURCES and WEBHOOK_RATE_LIMITS on the
// absorber, the sources' lane routes inside LANE_ROUTES (every service: workers check them too),
// and each source's secret as a secret env of the absorber (Secrets Manager / env_file).
import { isLane, LANES } from '@spillway/config/lanes';
import { WEBHOOK_PROVIDERS, webhookEnvName } from '@spillway/config/webhooks';
import type { SharedDefinition } from './definition';

const SOURCE_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** `github.*=low,github.push=normal`: a source's routes, prefixed with its name (`*` is the whole source). */
export function webhookRoutes(def: SharedDefinition): string[] {
  return Object.entries(def.webhooks ?? {}).flatMap(([name, spec]) =>
    Object.entries(spec.routes ?? {}).map(([pattern, lane]) => `${name}.${pattern}=${lane}`),
  );
}

/** The absorber's WEBHOOK_SOURCES and WEBHOOK_RATE_LIMITS (absent when there is nothing to say). */
export function webhookEnv(def: SharedDefinition): Record<string, string> {
  const entries = Object.entries(def.webhooks ?? {});
  if (!entries.length) return {};
  const env: Record<string, string> = { WEBHOOK_SOURCES: entries.map(([name, spec]) => `${name}:${spec.provider}`).join(',') };
  const limits = entries.filter(([, spec]) => spec.rateLimit).map(([name, spec]) => `${name}=${spec.rateLimit}`);
  if (limits.length) env.WEBHOOK_RATE_LIMITS = limits.join(',');
  return env;
}

/** The secret env names each source needs on the absorber. */
export function webhookSecretNames(def: SharedDefinition): string[] {
  return Object.entries(def.webhooks ?? {}).flatMap(([name, spec]) => [
    webhookEnvName('WEBHOOK_SECRET_', name),
    ...(spec.provider === 'meta' ? [webhookEnvName('WEBHOOK_VERIFY_TOKEN_', name)] : []),
  ]);
}

export function webhookProblems(def: SharedDefinition): string[] {
  const p: string[] = [];
  const absorber = def.services.find((s) => s.role === 'absorber');
  for (const [name, spec] of Object.entries(def.webhooks ?? {})) {
    const f = `webhooks.${name}`;
    if (!SOURCE_NAME.test(name)) p.push(`${f}: the name must be 1-40 lower-case letters, digits or - (a URL path segment)`);
    if (!(WEBHOOK_PROVIDERS as readonly string[]).includes(spec.provider)) p.push(`${f}.provider: one of ${WEBHOOK_PROVIDERS.join(', ')}`);
    if (spec.rateLimit !== undefined && !(Number.isInteger(spec.rateLimit) && spec.rateLimit >= 0)) p.push(`${f}.rateLimit: events/s per absorber replica, a whole number >= 0`);
    for (const [pattern, lane] of Object.entries(spec.routes ?? {})) {
      if (pattern !== '*' && !/^[A-Za-z0-9_.:-]+(\.\*)?$/.test(pattern)) p.push(`${f}.routes.${pattern}: "*", a derived event type, or a prefix ending in .*`);
      if (!isLane(lane)) p.push(`${f}.routes.${pattern}: unknown lane "${lane}"; lanes are ${LANES.join(', ')}`);
    }
  }
  for (const secret of webhookSecretNames(def)) {
    if (!def.secrets[secret]) p.push(`secrets.${secret}: required by webhooks (the source's signing secret or verify token)`);
    if (absorber && !absorber.secrets.includes(secret)) p.push(`services (${absorber.name}).secrets: must list ${secret} (webhooks)`);
  }
  return p;
}
