import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import { checkIdempotencyKey } from './event-validator';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;

/** Header checks shared by the single-event route and the batch controller. */
export function requireJson(contentType: string | undefined): void {
  if (!contentType || !JSON_TYPE.test(contentType)) {
    throw new UnsupportedMediaTypeException(`Content-Type must be application/json (got ${contentType ?? 'none'})`);
  }
}

export function idempotencyKeyOf(value: string | undefined): string | undefined {
  try {
    return checkIdempotencyKey(value);
  } catch (err) {
    throw new BadRequestException((err as Error).message);
  }
}
