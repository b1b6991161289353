import type { IncomingHttpHeaders } from 'node:http';
import type { WebhookSource } from '@spillway/config';

/** What a provider sees of one request: the exact bytes the sender signed, and its headers. */
export interface HookRequest {
  raw: Buffer;
  headers: IncomingHttpHeaders;
  /** The URL the sender called, as it would have written it (Twilio signs it). */
  publicUrl: string;
  nowS: number;
  /** How far a signed timestamp may be from the server's clock (SIGNATURE_TOLERANCE_S). */
  toleranceS: number;
}

/** The event a request becomes: `type` without the source prefix; `deliveryId` stable across the sender's retries. */
export interface DerivedEvent {
  kind: 'event';
  type: string;
  deliveryId: string;
  key?: string;
  payload: Record<string, unknown>;
}

/** A handshake answered in place of an event (Slack url_verification, GitHub ping). */
export interface HandshakeReply {
  kind: 'reply';
  status: number;
  contentType: string;
  body: string;
}

export interface HookProvider {
  /** Headers kept with the event (lower case), beside the payload and the raw bytes. */
  keptHeaders: readonly string[];
  /** What is wrong with the request's signature, naming the check (never a secret), or undefined. */
  verify(request: HookRequest, source: WebhookSource): string | undefined;
  /** Called only after `verify` passed. Throws `HookPayloadError` for a body it cannot read. */
  derive(request: HookRequest, source: WebhookSource): DerivedEvent | HandshakeReply;
  /** A GET handshake (Meta's subscription challenge); absent: GET is 405. */
  challenge?(query: Record<string, string | undefined>, source: WebhookSource): HandshakeReply;
}

// Providers throw it for a verified body they cannot read; it lives with the other ingest errors.
export { HookPayloadError } from '../ingest/errors';

export function header(request: HookRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function jsonReply(status: number, body: unknown): HandshakeReply {
  return { kind: 'reply', status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
}
