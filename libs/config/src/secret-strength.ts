/** Shortest API key or HMAC secret accepted: 32 characters (`openssl rand -hex 32` gives 64). */
export const MIN_SECRET_CHARS = 32;
/** Shortest Standard Webhooks key, decoded: 24 bytes (what Svix issues). */
export const MIN_WHSEC_BYTES = 24;

/**
 * Values published in this repository (deploy/hetzner/secrets/*.env.example, README, docs): every
 * one carries `change-me`, so one mark catches them all, including a future example.
 */
const EXAMPLE_MARK = /change-?me/i;

const GENERATE = 'generate one with `openssl rand -hex 32`';

/** Why a plain API key or HMAC secret is too weak to start with, or undefined. */
export function weakSecret(value: string): string | undefined {
  if (EXAMPLE_MARK.test(value)) return `an entry is an example value published in this repository; ${GENERATE}`;
  if (value.length < MIN_SECRET_CHARS) return `an entry is ${value.length} characters, under the minimum of ${MIN_SECRET_CHARS}; ${GENERATE}`;
  return undefined;
}

/** Why a Standard Webhooks `whsec_<base64>` secret is too weak, or undefined (the sender issues it: only its size is checked). */
export function weakWhsec(value: string): string | undefined {
  if (EXAMPLE_MARK.test(value)) return 'an entry is an example value published in this repository; use the secret the sender shows';
  const bytes = Buffer.from(value.slice('whsec_'.length), 'base64').length;
  if (bytes < MIN_WHSEC_BYTES) return `an entry decodes to ${bytes} bytes, under the minimum of ${MIN_WHSEC_BYTES}; use the secret the sender shows`;
  return undefined;
}

/** One problem line for a variable: the first weak entry's reason, never the value. */
export function weakEntries(variable: string, entries: readonly string[], check: (value: string) => string | undefined): string | undefined {
  for (const entry of entries) {
    const why = check(entry);
    if (why) return `${variable}: ${why}`;
  }
  return undefined;
}
