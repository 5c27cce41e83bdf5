/**
 * A small typed Reddit client: application-only OAuth (client_credentials) with a token cache,
 * GET of JSON listings with one token refresh on 401, rate-limit headers, and every failure
 * turned into a SourceError that names reddit, the URL and what to do.
 */
import { errorForStatus, httpRequest, safeUrl, retryAfterMs, type HttpResponse } from '../http.js';
import { registerSecret } from '../../core/log.js';
import type { RateLimit } from '../types.js';
import { SourceError } from '../types.js';
import { tokenResponseSchema } from './payload.js';

export const DEFAULT_API_URL = 'https://oauth.reddit.com';
export const DEFAULT_AUTH_URL = 'https://www.reddit.com';
import { REDDIT_REQUIRED_ENV as REQUIRED_ENV } from './manifest.js';

const CREDENTIALS_HINT = 'check REDDIT_CLIENT_ID / REDDIT_CLIENT_SECRET (a "script" or "web" app at https://www.reddit.com/prefs/apps)';

export interface RedditEnv {
  clientId: string;
  clientSecret: string;
  userAgent: string;
  apiUrl: string;
  authUrl: string;
}

export function readRedditEnv(env: Record<string, string | undefined>): RedditEnv {
  const missing = REQUIRED_ENV.filter((name) => !env[name]?.trim());
  if (missing.length) {
    throw new SourceError('config', `reddit: ${missing.join(', ')} not set; create a Reddit app at https://www.reddit.com/prefs/apps and put its values in .env`);
  }
  const clientSecret = env.REDDIT_CLIENT_SECRET!.trim();
  registerSecret(clientSecret);
  return {
    clientId: env.REDDIT_CLIENT_ID!.trim(),
    clientSecret,
    userAgent: env.REDDIT_USER_AGENT!.trim(),
    apiUrl: (env.REDDIT_API_URL?.trim() || DEFAULT_API_URL).replace(/\/+$/, ''),
    authUrl: (env.REDDIT_AUTH_URL?.trim() || DEFAULT_AUTH_URL).replace(/\/+$/, ''),
  };
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Tokens per app and auth server, shared by every reddit source of the process. */
const tokenCache = new Map<string, CachedToken>();
/** One token request in flight per key: concurrent polls wait for it instead of each asking. */
const pendingTokens = new Map<string, Promise<CachedToken>>();

function cacheKey(env: RedditEnv): string {
  return `${env.clientId}\n${env.authUrl}`;
}

/** For tests: forget every cached token. */
export function resetRedditTokenCache(): void {
  tokenCache.clear();
  pendingTokens.clear();
}

export interface RequestOptions {
  timeoutMs: number;
  signal: AbortSignal;
  now: () => Date;
}

/** Transport errors from the shared client name the URL; prefix the source so the user knows which one. */
function named(err: unknown): unknown {
  if (!(err instanceof SourceError) || err.message.startsWith('reddit:')) return err;
  const options = err.retryAfterMs === undefined ? { cause: err } : { cause: err, retryAfterMs: err.retryAfterMs };
  return new SourceError(err.kind, `reddit: ${err.message}`, options);
}

async function send(req: Parameters<typeof httpRequest>[0]): Promise<HttpResponse> {
  try {
    return await httpRequest(req);
  } catch (err) {
    throw named(err);
  }
}

function looksLikeHtml(res: HttpResponse): boolean {
  const type = res.headers.get('content-type') ?? '';
  if (/html/i.test(type)) return true;
  return /^\s*</.test(res.body.subarray(0, 64).toString('utf8'));
}

function parseJson(res: HttpResponse, url: string): unknown {
  if (looksLikeHtml(res)) {
    throw new SourceError('parse', `reddit: ${safeUrl(url)} answered with an HTML page instead of JSON (HTTP ${res.status}); check REDDIT_API_URL / REDDIT_AUTH_URL, or Reddit may be down`);
  }
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch (err) {
    throw new SourceError('parse', `reddit: invalid JSON from ${safeUrl(url)} (HTTP ${res.status}); Reddit may be having trouble, it is retried on the next poll`, { cause: err });
  }
}

async function requestToken(env: RedditEnv, options: RequestOptions): Promise<CachedToken> {
  const url = `${env.authUrl}/api/v1/access_token`;
  const res = await send({
    url,
    method: 'POST',
    headers: {
      authorization: 'Basic ' + Buffer.from(`${env.clientId}:${env.clientSecret}`).toString('base64'),
      'user-agent': env.userAgent,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
    timeoutMs: options.timeoutMs,
    maxBytes: 64 * 1024,
    signal: options.signal,
  });
  if (res.status === 401 || res.status === 403) {
    throw new SourceError('auth', `reddit: HTTP ${res.status} from ${safeUrl(url)}: ${CREDENTIALS_HINT}`);
  }
  if (res.status === 429) throw rateLimited(res, url, options.now());
  if (res.status < 200 || res.status >= 300) {
    const page = looksLikeHtml(res) ? ' (an HTML error page, not Reddit JSON)' : '';
    throw errorForStatus(res, `reddit: ${safeUrl(url)}`, `the Reddit token endpoint failed; check REDDIT_AUTH_URL${page}`);
  }
  const parsed = tokenResponseSchema.safeParse(parseJson(res, url));
  if (!parsed.success || !parsed.data.access_token) {
    const reason = parsed.success && parsed.data.error ? `"${parsed.data.error}"` : 'no access_token';
    throw new SourceError('auth', `reddit: ${safeUrl(url)} answered ${reason} instead of a token; ${CREDENTIALS_HINT}`);
  }
  registerSecret(parsed.data.access_token);
  const ttlMs = (parsed.data.expires_in ?? 3600) * 1000;
  // Renew shortly before Reddit would: a minute early, or a tenth of a short lifetime.
  const margin = Math.min(60_000, ttlMs / 10);
  return { token: parsed.data.access_token, expiresAt: options.now().getTime() + ttlMs - margin };
}

export async function accessToken(env: RedditEnv, options: RequestOptions, forceNew = false): Promise<string> {
  const key = cacheKey(env);
  const cached = tokenCache.get(key);
  if (!forceNew && cached && cached.expiresAt > options.now().getTime()) return cached.token;
  let pending = pendingTokens.get(key);
  if (!pending) {
    tokenCache.delete(key);
    pending = requestToken(env, options).finally(() => pendingTokens.delete(key));
    pendingTokens.set(key, pending);
  }
  const fresh = await pending;
  tokenCache.set(key, fresh);
  return fresh.token;
}

/** Reddit's budget headers: remaining is a float ("599.0"), reset is seconds until the window ends. */
export function parseRateLimit(headers: Headers, now: Date): RateLimit | undefined {
  const remaining = Number(headers.get('x-ratelimit-remaining') ?? NaN);
  const used = Number(headers.get('x-ratelimit-used') ?? NaN);
  const reset = Number(headers.get('x-ratelimit-reset') ?? NaN);
  if (![remaining, used, reset].some(Number.isFinite)) return undefined;
  return {
    remaining: Number.isFinite(remaining) ? Math.floor(remaining) : null,
    limit: Number.isFinite(remaining) && Number.isFinite(used) ? Math.round(remaining + used) : null,
    resetAt: Number.isFinite(reset) ? new Date(now.getTime() + reset * 1000).toISOString() : null,
  };
}

function rateLimited(res: HttpResponse, url: string, now: Date): SourceError {
  const reset = Number(res.headers.get('x-ratelimit-reset') ?? NaN);
  const wait = Number.isFinite(reset) ? reset * 1000 : (retryAfterMs(res.headers, now) ?? 60_000);
  return new SourceError(
    'rate_limit',
    `reddit: HTTP 429 from ${safeUrl(url)}: rate limit reached (Reddit allows 100 requests per minute per app); waiting ${Math.ceil(wait / 1000)} s. Poll less often or share fewer sources per app`,
    { retryAfterMs: wait },
  );
}

export interface ApiResponse {
  body: unknown;
  rateLimit: RateLimit | undefined;
}

/** Reddit's JSON errors say why in `reason` (private, banned, quarantined) or `message`. */
function errorReason(res: HttpResponse): string {
  try {
    const body = JSON.parse(res.body.toString('utf8')) as { reason?: unknown; message?: unknown };
    const reason = typeof body.reason === 'string' ? body.reason : typeof body.message === 'string' ? body.message : '';
    return reason ? ` (Reddit says: ${reason.slice(0, 80)})` : '';
  } catch {
    return '';
  }
}

function apiError(res: HttpResponse, url: string, now: Date): SourceError {
  const where = safeUrl(url);
  switch (res.status) {
    case 401:
      return new SourceError('auth', `reddit: HTTP 401 from ${where} even with a fresh token: ${CREDENTIALS_HINT}`);
    case 403:
      return new SourceError('auth', `reddit: HTTP 403 from ${where}${errorReason(res)}: access denied (a private, quarantined or banned subreddit?); check subreddits in the source, and REDDIT_USER_AGENT (Reddit blocks generic user agents)`);
    case 404:
      return new SourceError('not_found', `reddit: HTTP 404 from ${where}${errorReason(res)}: no such subreddit or endpoint; check subreddits in the source and REDDIT_API_URL`);
    case 429:
      return rateLimited(res, url, now);
    default: {
      const page = looksLikeHtml(res) ? ' (an HTML error page, not Reddit JSON)' : '';
      const hint = res.status >= 500 ? 'Reddit is having trouble; retried with backoff' : 'check the source settings and REDDIT_API_URL';
      return errorForStatus(res, `reddit: ${where}`, `${hint}${page}`);
    }
  }
}

/** Reddit answers a listing of a subreddit that does not exist by redirecting to /subreddits/search. */
function redirectedToSubredditSearch(res: HttpResponse): boolean {
  try {
    return /^\/subreddits\/search/.test(new URL(res.url).pathname);
  } catch {
    return false;
  }
}

/** GET an API path as JSON; on a 401 the token is renewed once and the request repeated. */
export async function apiGet(env: RedditEnv, path: string, params: URLSearchParams, options: RequestOptions): Promise<ApiResponse> {
  const url = `${env.apiUrl}${path}?${params.toString()}`;
  let res: HttpResponse | undefined;
  for (const forceNew of [false, true]) {
    const token = await accessToken(env, options, forceNew);
    res = await send({
      url,
      headers: { authorization: `bearer ${token}`, 'user-agent': env.userAgent, accept: 'application/json' },
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
    if (res.status !== 401) break;
  }
  const final = res!;
  const now = options.now();
  if (final.status < 200 || final.status >= 300) throw apiError(final, url, now);
  if (redirectedToSubredditSearch(final)) {
    throw new SourceError('not_found', `reddit: ${safeUrl(url)} was redirected to the subreddit search: that subreddit does not exist; check subreddits in the source`);
  }
  return { body: parseJson(final, url), rateLimit: parseRateLimit(final.headers, now) };
}
