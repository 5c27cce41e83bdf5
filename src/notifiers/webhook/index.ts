/**
 * Webhook notifier: POSTs the alert as JSON (payload.ts) to a URL, signed so the receiver can
 * tell it came from this earshot: `X-Earshot-Signature: sha256=<hex HMAC-SHA256 of the raw body>`
 * keyed with EARSHOT_WEBHOOK_SECRET. `X-Earshot-Alert-Id` is the same on every retry of an alert,
 * so a receiver can drop a repeat (a crash between its 2xx and our record of it resends once).
 *
 * Outcomes (http-post.ts): 2xx sent; 429 retried after Retry-After; 408, 5xx, network errors and
 * timeouts retried with back-off; other statuses failed with what to do.
 */
import { createHmac } from 'node:crypto';
import { registerSecret } from '../../core/log.js';
import { outcomeOf, postBody, type PostOptions } from '../http-post.js';
import type { AlertContent, DeliveryOutcome, Env, Notifier, SendOptions } from '../types.js';
import { validateWebhookTarget, WEBHOOK_SECRET_ENV } from './manifest.js';
import { webhookPayload } from './payload.js';

export { validateWebhookTarget } from './manifest.js';
export { webhookPayload, WEBHOOK_PAYLOAD_VERSION, type WebhookPayload } from './payload.js';

/** `sha256=<hex>`: what a receiver recomputes over the raw body with the shared secret. */
export function webhookSignature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

const RULES_HINT = 'notify.webhook in rules/*.yaml';

function hintFor(status: number): string {
  if (status === 401 || status === 403) return `the receiver refused the request: check that it verifies X-Earshot-Signature with the same ${WEBHOOK_SECRET_ENV}`;
  if (status === 404 || status === 410) return `nothing receives alerts at this URL: fix ${RULES_HINT} (or the variable it comes from)`;
  if (status === 413) return 'the receiver refused the size of the alert';
  return `the receiver refused the alert; check the receiver's logs`;
}

export interface WebhookNotifierOptions {
  /** Per-request time limit in ms; default 15 s. */
  timeoutMs?: number;
}

export function createWebhookNotifier(env: Env, options: WebhookNotifierOptions = {}): Notifier {
  const secret = env[WEBHOOK_SECRET_ENV]?.trim() ?? '';
  registerSecret(secret);
  return {
    type: 'webhook',
    async send(target: string, alert: AlertContent, sendOptions: SendOptions = {}): Promise<DeliveryOutcome> {
      const problem = validateWebhookTarget(target);
      if (problem) return { status: 'failed', error: `Webhook: ${problem} (${RULES_HINT})` };
      if (!secret) return { status: 'failed', error: `Webhook: ${WEBHOOK_SECRET_ENV} is not set: set it in .env to sign alerts (receivers verify X-Earshot-Signature with it)` };
      registerSecret(target);
      const body = JSON.stringify(webhookPayload(alert));
      const post: PostOptions = {
        headers: { 'x-earshot-signature': webhookSignature(body, secret), 'x-earshot-alert-id': String(alert.alertId) },
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(sendOptions.signal ? { signal: sendOptions.signal } : {}),
      };
      return outcomeOf(await postBody(target, body, post), target, { service: 'Webhook', hintFor });
    },
  };
}
