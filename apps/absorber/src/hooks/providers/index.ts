import type { WebhookProvider } from '@spillway/config';
import type { HookProvider } from '../provider';
import { github } from './github';
import { hmacSha256 } from './hmac-sha256';
import { meta } from './meta';
import { shopify } from './shopify';
import { slack } from './slack';
import { standard } from './standard';
import { stripe } from './stripe';
import { twilio } from './twilio';

/** Every provider WEBHOOK_SOURCES may name; the config's list and this one must agree (typed). */
export const PROVIDERS: Record<WebhookProvider, HookProvider> = {
  github,
  stripe,
  standard,
  meta,
  shopify,
  slack,
  twilio,
  'hmac-sha256': hmacSha256,
};
