/**
 * Discord notifier: posts the alert to a channel through its webhook URL
 * (`POST /api/webhooks/<id>/<token>?wait=true`; with `wait=true` Discord answers only once the
 * message exists, 200 with the message, whose id becomes the delivery's ref; 204 without).
 *
 * Outcomes: 2xx sent; 429 retried after Discord's `retry_after` (seconds, JSON body) or the
 * Retry-After header; 408, 5xx, network errors and timeouts retried with back-off; 400 (the
 * message itself was refused), 401/403 (bad token), 404 (webhook deleted), 413 failed, with what
 * to do. The URL holds the webhook's token: no message names more than its host.
 */
import { registerSecret } from '../../core/log.js';
import { getBody, outcomeOf, postBody, type PostResponse } from '../http-post.js';
import { hostOf } from '../url-secret.js';
import type { AlertContent, DeliveryOutcome, Env, Notifier, SendOptions, VerifyResult } from '../types.js';
import { validateDiscordTarget } from './manifest.js';
import { renderDiscordMessage } from './render.js';

export { validateDiscordTarget } from './manifest.js';
export { escapeDiscord, renderDiscordMessage, type DiscordMessage } from './render.js';

const RULES_HINT = 'notify.discord in rules/*.yaml';

interface DiscordError {
  code?: unknown;
  message?: unknown;
  retry_after?: unknown;
  global?: unknown;
}

function readError(body: string): DiscordError {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed && typeof parsed === 'object' ? (parsed as DiscordError) : {};
  } catch {
    return {};
  }
}

/** Discord's own wait: `retry_after` in seconds (a float) in the 429 body. */
function discordRetryAfterMs(res: PostResponse): number | undefined {
  const seconds = readError(res.body).retry_after;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds * 1000) : undefined;
}

function hintFor(status: number, body: string): string {
  const error = readError(body);
  const said = typeof error.message === 'string' ? `Discord said "${error.message}"${typeof error.code === 'number' ? ` (code ${error.code})` : ''}; ` : '';
  if (status === 401 || status === 403) return `${said}the webhook's token was refused: create the webhook again and update ${RULES_HINT} (or the variable it comes from)`;
  if (status === 404) return `${said}the webhook was deleted: create a new one in the channel's Integrations and update ${RULES_HINT}`;
  if (status === 413) return `${said}the message was too large; please report this as a bug in earshot`;
  if (status === 400) return `${said}Discord refused the message itself; please report this as a bug in earshot`;
  return `${said}check ${RULES_HINT}`;
}

/** The webhook URL with `wait=true`, other parameters (e.g. `thread_id`) kept. */
function executeUrl(target: string): string {
  const url = new URL(target);
  url.searchParams.set('wait', 'true');
  return url.href;
}

function messageId(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** For messages about a target: the webhook's id, never its token. */
function webhookName(target: string): string {
  const id = /\/webhooks\/(\d+)\//.exec(new URL(target).pathname)?.[1];
  return id ? `webhook ${id}` : 'webhook';
}

/**
 * `check --online`: Discord answers a GET on the webhook URL with the webhook itself (its name and
 * channel), without posting anything; a deleted webhook or a wrong token answers 404 / 401.
 */
async function verifyWebhook(target: string, options: { signal?: AbortSignal; timeoutMs?: number }): Promise<VerifyResult> {
  const problem = validateDiscordTarget(target);
  if (problem) return { subject: 'discord webhook', status: 'failed', message: `${problem} (${RULES_HINT})` };
  const subject = `discord ${webhookName(target)}`;
  registerSecret(target);
  const result = await getBody(target, options);
  if (!result.ok) return { subject, status: 'failed', message: `could not ask ${hostOf(target)}: ${result.error}` };
  if (result.status === 200) {
    const hook = (() => {
      try {
        return JSON.parse(result.body) as { name?: unknown; channel_id?: unknown };
      } catch {
        return {};
      }
    })();
    const name = typeof hook.name === 'string' ? ` "${hook.name}"` : '';
    const channel = typeof hook.channel_id === 'string' ? ` posts to channel ${hook.channel_id}` : ' exists';
    return { subject, status: 'ok', message: `the webhook${name}${channel}` };
  }
  if (result.status === 429 || result.status >= 500) return { subject, status: 'failed', message: `Discord answered HTTP ${result.status}; try again later` };
  return { subject, status: 'failed', message: `HTTP ${result.status} from ${hostOf(target)}: ${hintFor(result.status, result.body)}` };
}

export interface DiscordNotifierOptions {
  /** Per-request time limit in ms; default 15 s. */
  timeoutMs?: number;
}

export function createDiscordNotifier(_env: Env, options: DiscordNotifierOptions = {}): Notifier {
  return {
    type: 'discord',
    async send(target: string, alert: AlertContent, sendOptions: SendOptions = {}): Promise<DeliveryOutcome> {
      const problem = validateDiscordTarget(target);
      if (problem) return { status: 'failed', error: `Discord: ${problem} (${RULES_HINT})` };
      registerSecret(target);
      const body = JSON.stringify(renderDiscordMessage(alert));
      const result = await postBody(executeUrl(target), body, {
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(sendOptions.signal ? { signal: sendOptions.signal } : {}),
      });
      const outcome = outcomeOf(result, target, { service: 'Discord', hintFor, retryAfterMs: discordRetryAfterMs });
      if (outcome.status !== 'sent' || !result.ok) return outcome;
      const ref = messageId(result.body);
      return ref ? { status: 'sent', ref } : outcome;
    },
    async verify(targets, verifyOptions = {}) {
      const limits = { ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}), ...(verifyOptions.signal ? { signal: verifyOptions.signal } : {}) };
      // One at a time: Discord rate-limits webhook calls, and a check is not urgent.
      const results: VerifyResult[] = [];
      for (const target of targets) results.push(await verifyWebhook(target, limits));
      return results;
    },
  };
}
