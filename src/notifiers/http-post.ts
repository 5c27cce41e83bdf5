/**
 * One HTTP POST for the webhook-style notifiers (webhook, Discord, Teams), and how its result
 * becomes a DeliveryOutcome under the alert contract:
 *   2xx -> sent; 429 -> retry after Retry-After; 408, 5xx, network errors, timeouts -> retry
 *   (the outbox backs off); other 4xx -> failed, with what to do.
 * Exactly one request per send: retries belong to the outbox. Messages never contain the URL
 * (it holds the webhook's token), only its host.
 */
import type { DeliveryOutcome } from './types.js';
import { hostOf } from './url-secret.js';

/** One request's time limit; a timeout is retried by the outbox. */
export const WEBHOOK_TIMEOUT_MS = 15_000;
/** Enough of a response body to read an error; the rest is not kept. */
const MAX_BODY_CHARS = 64 * 1024;

export interface PostOptions {
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface PostResponse {
  ok: true;
  status: number;
  headers: Headers;
  /** The body as text, cut at 64 KiB. */
  body: string;
}

export interface PostFailure {
  ok: false;
  /** 'timed out', 'aborted', 'ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:9)'. */
  error: string;
}

/** POSTs `body` (already serialised: a signature covers these exact bytes) and reads the answer. */
export function postBody(url: string, body: string, options: PostOptions = {}): Promise<PostResponse | PostFailure> {
  return request('POST', url, body, options);
}

/** A GET, for the online checks that read a webhook without posting to it. */
export function getBody(url: string, options: PostOptions = {}): Promise<PostResponse | PostFailure> {
  return request('GET', url, undefined, options);
}

async function request(method: 'GET' | 'POST', url: string, body: string | undefined, options: PostOptions): Promise<PostResponse | PostFailure> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? WEBHOOK_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const res = await fetch(url, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'user-agent': 'earshot', ...options.headers },
      ...(body === undefined ? {} : { body }),
      signal,
      // A webhook that redirects is reported (a followed 301/302 would turn the POST into a GET).
      redirect: 'manual',
    });
    const text = await res.text();
    return { ok: true, status: res.status, headers: res.headers, body: text.slice(0, MAX_BODY_CHARS) };
  } catch (err) {
    if (options.signal?.aborted) return { ok: false, error: 'aborted' };
    if (timeout.aborted) return { ok: false, error: 'timed out' };
    return { ok: false, error: describeFetchError(err) };
  }
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function retryAfterHeaderMs(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface OutcomeWords {
  /** 'Discord', 'Webhook', 'Teams': the start of every message. */
  service: string;
  /** What to do about a 4xx other than 429, by status; the default names the status. */
  hintFor(status: number, body: string): string;
  /** Overrides the wait of a 429 (Discord's JSON retry_after). */
  retryAfterMs?(res: PostResponse): number | undefined;
}

/** The typed outcome of one POST, by the rules in the module comment. */
export function outcomeOf(result: PostResponse | PostFailure, target: string, words: OutcomeWords): DeliveryOutcome {
  const where = hostOf(target);
  if (!result.ok) return { status: 'retry', error: `${words.service}: request to ${where} failed: ${result.error}` };
  const { status } = result;
  if (status >= 200 && status <= 299) return { status: 'sent' };
  if (status === 429) {
    const wait = words.retryAfterMs?.(result) ?? retryAfterHeaderMs(result.headers.get('retry-after'));
    const outcome: DeliveryOutcome = { status: 'retry', error: `${words.service}: rate limited by ${where} (HTTP 429)` };
    if (wait !== undefined) outcome.retryAfterMs = wait;
    return outcome;
  }
  if (status === 408 || status >= 500) return { status: 'retry', error: `${words.service}: HTTP ${status} from ${where}` };
  if (status >= 300 && status <= 399) {
    return { status: 'failed', error: `${words.service}: HTTP ${status} from ${where}: the URL redirects elsewhere; write the final URL in rules/*.yaml (or the variable it comes from)` };
  }
  return { status: 'failed', error: `${words.service}: HTTP ${status} from ${where}: ${words.hintFor(status, result.body)}` };
}
