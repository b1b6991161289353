import { HookPayloadError } from './provider';

/** JSON senders: the body must be one JSON object. */
export function jsonObject(raw: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HookPayloadError('body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HookPayloadError('body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/**
 * Form senders (Twilio, Slack commands): a repeated field becomes an array, as senders sign it.
 * The object has no prototype, so a field named `__proto__`, `toString` or `constructor` is an
 * ordinary field: it is signed like any other and cannot merge with inherited members.
 */
export function formFields(raw: Buffer): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of new URLSearchParams(raw.toString('utf8'))) {
    const had = fields[name];
    if (had === undefined) fields[name] = value;
    else if (Array.isArray(had)) had.push(value);
    else fields[name] = [had, value];
  }
  return fields;
}

export function isForm(contentType: string | undefined): boolean {
  return /^application\/x-www-form-urlencoded\b/i.test(contentType ?? '');
}

export function stringAt(value: unknown, ...path: string[]): string | undefined {
  let at = value;
  for (const step of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[step];
  }
  return typeof at === 'string' && at.length > 0 ? at : typeof at === 'number' ? String(at) : undefined;
}
