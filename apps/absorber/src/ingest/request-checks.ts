import { BadRequestError, NotJsonError } from './errors';
import { checkIdempotencyKey } from './event-validator';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;

/** Header checks shared by the single-event route and the batch controller. */
export function requireJson(contentType: string | undefined): void {
  if (!contentType || !JSON_TYPE.test(contentType)) {
    throw new NotJsonError(`Content-Type must be application/json (got ${contentType ?? 'none'})`);
  }
}

export function idempotencyKeyOf(value: string | undefined): string | undefined {
  try {
    return checkIdempotencyKey(value);
  } catch (err) {
    throw new BadRequestError((err as Error).message);
  }
}
