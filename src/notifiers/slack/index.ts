/**
 * Slack notifier: posts alerts with chat.postMessage through `@slack/web-api`.
 *
 * With SLACK_SIGNING_SECRET or SLACK_APP_TOKEN set, mention alerts carry triage buttons (see
 * `triage-blocks.ts`; the clicks are received by src/web/slack-actions.ts). The delivery ref is
 * `<channel id>:<ts>` (`message-ref.ts`), so that the message can be updated later (chat.update
 * needs the channel's id).
 *
 * The SDK's own retries are off (`retries: 0`, `rejectRateLimitedCalls: true`): the outbox owns
 * retries and backoff, so each `send` is exactly one HTTP request whose result becomes a
 * DeliveryOutcome (see `classifySlackError`). The SDK takes ~60-100 ms to import, so it is loaded
 * on the first send, never at startup (`earshot check` must stay fast).
 */
import type { WebClient, KnownBlock, Logger as SlackLogger } from '@slack/web-api';
import { registerSecret } from '../../core/log.js';
import type { AlertContent, DeliveryOutcome, Notifier, NotifierPlugin, SendOptions, VerifyResult } from '../types.js';
import { DEFAULT_SLACK_API_URL, slackManifest, validateSlackTarget } from './manifest.js';
import { decodeMessageRef, encodeMessageRef } from './message-ref.js';

export { DEFAULT_SLACK_API_URL, validateSlackTarget } from './manifest.js';
/** One request's time limit; a timeout is retried by the outbox. */
export const SLACK_TIMEOUT_MS = 15_000;

/** Slack `error` codes that mean "try again later" rather than "fix something". */
const RETRYABLE_ERRORS = new Set([
  'ratelimited',
  'rate_limited',
  'fatal_error',
  'internal_error',
  'service_unavailable',
  'request_timeout',
  'timeout',
  'team_added_to_org',
]);

const TOKEN_HINT = 'set a valid bot token (xoxb-...) in SLACK_BOT_TOKEN in .env';
const RULES_HINT = 'notify.slack in rules/*.yaml';

/** What to do about a permanent Slack error, keyed by its `error` code. */
function hintFor(code: string, channel: string): string {
  switch (code) {
    case 'channel_not_found':
      return `the channel does not exist or the bot cannot see it: invite the bot to ${channel} or fix ${RULES_HINT}`;
    case 'not_in_channel':
      return `the bot is not a member: invite the bot to ${channel} (/invite @your-bot) or fix ${RULES_HINT}`;
    case 'is_archived':
      return `the channel is archived: unarchive ${channel} or change ${RULES_HINT}`;
    case 'msg_too_long':
    case 'invalid_blocks':
    case 'invalid_blocks_format':
    case 'no_text':
      return 'Slack rejected the message itself: this is a bug in earshot, please report it';
    case 'not_authed':
    case 'invalid_auth':
    case 'account_inactive':
    case 'token_revoked':
    case 'token_expired':
    case 'not_allowed_token_type':
      return `the token was rejected: ${TOKEN_HINT}`;
    case 'missing_scope':
      return 'the bot token lacks the chat:write scope: add it in the Slack app settings and reinstall the app';
    case 'restricted_action':
    case 'restricted_action_read_only_channel':
    case 'restricted_action_thread_only_channel':
    case 'restricted_action_non_threadable_channel':
    case 'cannot_reply_to_message':
      return `posting to ${channel} is restricted: ask a workspace admin or change ${RULES_HINT}`;
    default:
      return `see https://docs.slack.dev/reference/methods/chat.postMessage for "${code}"`;
  }
}

/** An SDK error, seen through the few fields we read (the SDK's classes are loaded lazily). */
interface SlackSdkError {
  code?: unknown;
  message?: unknown;
  retryAfter?: unknown;
  statusCode?: unknown;
  data?: { error?: unknown };
  original?: { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
}

function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/**
 * Maps whatever chat.postMessage threw to a DeliveryOutcome. Exported for tests of mappings the
 * fake server cannot produce; `secrets` are removed from every message.
 */
export function classifySlackError(err: unknown, channel: string, secrets: string[] = []): DeliveryOutcome {
  const e = (err ?? {}) as SlackSdkError;
  const clean = (text: string): string => scrub(text, secrets);

  if (e.code === 'slack_webapi_rate_limited_error') {
    const seconds = typeof e.retryAfter === 'number' && Number.isFinite(e.retryAfter) ? e.retryAfter : undefined;
    const outcome: DeliveryOutcome = { status: 'retry', error: `Slack: rate limited for ${channel}` };
    if (seconds !== undefined) outcome.retryAfterMs = Math.max(0, seconds) * 1000;
    return outcome;
  }

  if (e.code === 'slack_webapi_platform_error') {
    const code = typeof e.data?.error === 'string' ? e.data.error : 'unknown_error';
    // The SDK turns a non-JSON 200 body (an HTML error page from a proxy or Slack's edge) into
    // `error: <the whole page>`: that is an outage, not a verdict about the message.
    if (!/^[a-z0-9_.]+$/i.test(code)) {
      return { status: 'retry', error: `Slack: the API answered with a non-JSON page for ${channel}` };
    }
    if (RETRYABLE_ERRORS.has(code)) return { status: 'retry', error: `Slack: ${code} for ${channel}` };
    return { status: 'failed', error: clean(`Slack: ${code} for ${channel}: ${hintFor(code, channel)}`) };
  }

  if (e.code === 'slack_webapi_http_error') {
    const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
    if (status === 429 || status === 408 || status >= 500) {
      return { status: 'retry', error: `Slack: HTTP ${status} from the API for ${channel}` };
    }
    return {
      status: 'failed',
      error: `Slack: HTTP ${status} from the API for ${channel}: check SLACK_API_URL (it should end in /api/)`,
    };
  }

  if (e.code === 'slack_webapi_request_error') {
    return { status: 'retry', error: clean(`Slack: request failed for ${channel}: ${describeRequestError(e)}`) };
  }

  // Anything else (e.g. a 429 without a usable Retry-After, which the SDK reports as a plain
  // Error) is treated as transient: the outbox backs off.
  const message = typeof e.message === 'string' ? e.message : String(err);
  return { status: 'retry', error: clean(`Slack: request failed for ${channel}: ${message}`) };
}

function describeRequestError(e: SlackSdkError): string {
  const original = e.original;
  if (original?.name === 'TimeoutError' || original?.name === 'AbortError') return 'timed out';
  const cause = original?.cause;
  if (cause && typeof cause.code === 'string') return `${cause.code}${typeof cause.message === 'string' ? ` (${cause.message})` : ''}`;
  if (typeof original?.message === 'string') return original.message;
  return typeof e.message === 'string' ? e.message : 'network error';
}

// The SDK logs retries and warnings on its own; earshot reports through outcomes instead.
const quietLogger: SlackLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel() {
    return 'error' as ReturnType<SlackLogger['getLevel']>;
  },
  setName() {},
};

/**
 * A Web API client as earshot uses one: the outbox retries, so the SDK never does (and a 429 is
 * an outcome, not a wait); the SDK's own logging is off. Loaded on first use (startup cost).
 */
export async function slackClient(token: string, apiUrl: string, timeoutMs = SLACK_TIMEOUT_MS): Promise<WebClient> {
  const sdk = await import('@slack/web-api');
  return new sdk.WebClient(token, { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: timeoutMs, logger: quietLogger });
}

function urlCredentials(url: string): string[] {
  try {
    const parsed = new URL(url);
    return [parsed.password, decodeURIComponent(parsed.password)].filter(Boolean);
  } catch {
    return [];
  }
}

export interface SlackNotifierOptions {
  /** Per-request time limit in ms; default SLACK_TIMEOUT_MS. */
  timeoutMs?: number;
}

function abortOutcome(channel: string): DeliveryOutcome {
  return { status: 'retry', error: `Slack: sending to ${channel} was aborted` };
}

/** Resolves with `promise`, or with `onAbort()` as soon as `signal` aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => T): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.resolve(onAbort());
  return new Promise<T>((resolve, reject) => {
    const listener = (): void => resolve(onAbort());
    signal.addEventListener('abort', listener, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', listener);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', listener);
        reject(error);
      },
    );
  });
}

export function createSlackNotifier(env: Record<string, string | undefined>, options: SlackNotifierOptions = {}): Notifier {
  const token = env.SLACK_BOT_TOKEN?.trim() ?? '';
  const apiUrl = env.SLACK_API_URL?.trim() || DEFAULT_SLACK_API_URL;
  // A proxy URL may carry credentials of its own; they must not reach an error either.
  const secrets = [token, ...urlCredentials(apiUrl)].filter((s) => s.length >= 4);
  // Buttons only when earshot can receive the clicks (HTTP interactivity or Socket Mode).
  const interactive = Boolean(env.SLACK_SIGNING_SECRET?.trim() || env.SLACK_APP_TOKEN?.trim());
  for (const secret of secrets) registerSecret(secret);
  let client: WebClient | undefined;

  async function getClient(): Promise<WebClient> {
    return (client ??= await slackClient(token, apiUrl, options.timeoutMs));
  }

  async function post(target: string, alert: AlertContent, sendOptions: SendOptions): Promise<DeliveryOutcome> {
    const web = await getClient();
    // Rendering loads on the first send: config validation (`earshot check`) never renders.
    const { renderSlackMessage } = await import('./render.js');
    const message = renderSlackMessage(alert, { interactive });
    const threadTs = sendOptions.threadRef ? decodeMessageRef(sendOptions.threadRef)?.ts : undefined;
    const result = await web.chat.postMessage({
      channel: target,
      text: message.text,
      blocks: message.blocks as KnownBlock[],
      mrkdwn: false,
      unfurl_links: false,
      unfurl_media: false,
      link_names: false,
      parse: 'none',
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    // The channel id comes back even when the target was a #name: chat.update needs the id.
    if (typeof result.ts !== 'string') return { status: 'sent' };
    return { status: 'sent', ref: encodeMessageRef(typeof result.channel === 'string' ? result.channel : undefined, result.ts) };
  }

  /** The error of a failed Web API call, as a user-facing message without secrets. */
  function failure(err: unknown, subject: string): string {
    const outcome = classifySlackError(err, subject, secrets);
    return outcome.status === 'sent' ? 'unexpected answer' : outcome.error;
  }

  async function verify(targets: readonly string[]): Promise<VerifyResult[]> {
    if (!token) return [{ subject: 'slack token', status: 'failed', message: `SLACK_BOT_TOKEN is not set: ${TOKEN_HINT}` }];
    const web = await getClient();
    let bot = 'the bot';
    try {
      const who = await web.auth.test();
      bot = typeof who.user === 'string' ? `@${who.user}` : bot;
      const team = typeof who.team === 'string' ? ` in workspace ${who.team}` : '';
      const results: VerifyResult[] = [{ subject: 'slack token', status: 'ok', message: `accepted (auth.test): ${bot}${team}` }];
      results.push(...(await verifyChannels(web, targets, bot)));
      results.push(...(await verifyInteractivity()));
      return results;
    } catch (err) {
      return [{ subject: 'slack token', status: 'failed', message: failure(err, 'auth.test') }, ...(await verifyInteractivity())];
    }
  }

  /**
   * The triage buttons' settings: the app-level token by asking for a Socket Mode URL (one that
   * is never used expires on its own); the signing secret only a request from Slack can prove.
   */
  async function verifyInteractivity(): Promise<VerifyResult[]> {
    const results: VerifyResult[] = [];
    const appToken = env.SLACK_APP_TOKEN?.trim();
    if (appToken) {
      const app = await slackClient(appToken, apiUrl, options.timeoutMs);
      try {
        await app.apps.connections.open();
        results.push({ subject: 'slack app token', status: 'ok', message: 'accepted (apps.connections.open): Socket Mode can connect' });
      } catch (err) {
        const { describeSocketModeError } = await import('./socket-mode.js');
        results.push({ subject: 'slack app token', status: 'failed', message: scrub(describeSocketModeError(err).reason, [appToken, ...secrets]) });
      }
    }
    if (env.SLACK_SIGNING_SECRET?.trim()) {
      results.push({
        subject: 'slack signing secret',
        status: 'unchecked',
        message: 'only a request from Slack can prove it: click a button on an alert (a wrong secret is answered 401 and counted in earshot_slack_requests_refused_total{reason="mismatch"})',
      });
    }
    return results;
  }

  /** Channel membership: names through conversations.list, ids through conversations.info. */
  async function verifyChannels(web: WebClient, targets: readonly string[], bot: string): Promise<VerifyResult[]> {
    const results: VerifyResult[] = [];
    let byName: Map<string, { id: string; member: boolean }> | null = null;
    for (const target of targets) {
      const subject = `slack ${target}`;
      const problem = validateSlackTarget(target);
      if (problem) {
        results.push({ subject, status: 'failed', message: `${problem} (${RULES_HINT})` });
        continue;
      }
      try {
        let member: boolean | null;
        if (target.startsWith('#')) {
          byName ??= await listChannels(web);
          const found = byName.get(target.slice(1));
          member = found ? found.member : null;
        } else {
          const info = await web.conversations.info({ channel: target });
          member = Boolean((info.channel as { is_member?: boolean } | undefined)?.is_member);
        }
        if (member === null) {
          results.push({ subject, status: 'failed', message: `no such channel, or ${bot} cannot see it (a private channel needs an invitation): fix ${RULES_HINT} or invite the bot` });
        } else if (!member) {
          results.push({ subject, status: 'failed', message: `${bot} is not in the channel: invite it with /invite ${bot} in ${target}` });
        } else {
          results.push({ subject, status: 'ok', message: `${bot} is a member` });
        }
      } catch (err) {
        const code = (err as { data?: { error?: unknown } }).data?.error;
        if (code === 'missing_scope') {
          results.push({ subject, status: 'unchecked', message: 'the token may not read channels (scopes channels:read, groups:read): membership not checked; `earshot notify test` sends a sample alert' });
        } else {
          results.push({ subject, status: 'failed', message: failure(err, target) });
        }
      }
    }
    return results;
  }

  async function listChannels(web: WebClient): Promise<Map<string, { id: string; member: boolean }>> {
    const channels = new Map<string, { id: string; member: boolean }>();
    let cursor: string | undefined;
    // A workspace with thousands of channels takes a few pages; ten is a generous cap for a check.
    for (let page = 0; page < 10; page++) {
      const result = await web.conversations.list({ types: 'public_channel,private_channel', exclude_archived: true, limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const c of result.channels ?? []) {
        if (typeof c.name === 'string' && typeof c.id === 'string') channels.set(c.name, { id: c.id, member: Boolean(c.is_member) });
      }
      cursor = result.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    return channels;
  }

  return {
    type: 'slack',
    verify,
    async send(target: string, alert: AlertContent, sendOptions: SendOptions = {}): Promise<DeliveryOutcome> {
      const problem = validateSlackTarget(target);
      if (problem) return { status: 'failed', error: `Slack: ${problem} (${RULES_HINT})` };
      if (!token) return { status: 'failed', error: `Slack: SLACK_BOT_TOKEN is not set: ${TOKEN_HINT}` };
      try {
        return await raceAbort(post(target, alert, sendOptions), sendOptions.signal, () => abortOutcome(target));
      } catch (err) {
        return classifySlackError(err, target, secrets);
      }
    },
    async close(): Promise<void> {
      client = undefined;
    },
  };
}

export const slackNotifier: NotifierPlugin = { ...slackManifest, create: (env) => createSlackNotifier(env) };
