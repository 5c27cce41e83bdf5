/**
 * Twitter/X source: X API v2 recent search (`GET /2/tweets/search/recent`) through
 * `twitter-api-v2`, with the author expansion (followers count = reach) and public metrics.
 *
 * Incremental: the cursor is the newest tweet id seen (`since_id`). A first poll (no cursor)
 * takes the newest page only; later polls page with `next_token` down to the cursor, at most
 * `maxPages` pages; when the cap (or the rate-limit budget) stops paging early, the skipped
 * older tweets are reported in `gaps`. The X API allows a `since_id` only within its 7-day
 * recent-search window: a cursor older than that is dropped, the newest page is fetched, and
 * the gap is reported.
 *
 * Rate limits: `x-rate-limit-*` are reported on every poll; when few requests are left in the
 * window the poll asks for `minDelayMs` until the reset; a 429 becomes
 * SourceError('rate_limit') with `retryAfterMs` until `x-rate-limit-reset`. 401/403 are
 * SourceError('auth'): the scheduler pauses the source until the token or config changes.
 */
import { registerSecret } from '../../core/log.js';
import type { FetchedItem } from '../../core/types.js';
import { numericHeader, rateLimitFromHeaders } from '../rate-limit.js';
import { pageThrough, pagingSettings, type PageOutcome, type PagedSourceOptions, type PagingSettings } from '../paging.js';
import { manifestFields, SourceError, type PollResult, type RateLimit, type SourceContext, type SourcePlugin, type SourceVerifyResult, type VerifyContext } from '../types.js';
import { twitterManifest } from './manifest.js';
import { parseApiUrl, twitterGet, type TwitterResponse } from './client.js';
import { mapTweet, problemSchema, searchResponseSchema, tweetSchema, twitterUserSchema, type Tweet, type TwitterUser } from './payload.js';
import { twitterSettingsSchema, type TwitterConfig } from './schema.js';

export type { TwitterConfig } from './schema.js';
export const twitterConfigSchema = twitterSettingsSchema();

export const SEARCH_ENDPOINT = 'tweets/search/recent';
export const TWEET_FIELDS = 'created_at,public_metrics,lang,entities,conversation_id,author_id,referenced_tweets';
export const USER_FIELDS = 'public_metrics,username,name';
/** X's recent-search window is 15 minutes; used when a 429 carries no reset header. */
const WINDOW_MS = 15 * 60_000;
const PAUSED = 'the source is paused until TWITTER_BEARER_TOKEN or the config changes';

/** Request limits; see paging.ts (`pageSize` is 10..100 here). */
export type TwitterSourceOptions = PagedSourceOptions;

export function createTwitterSource(options: TwitterSourceOptions = {}): SourcePlugin<TwitterConfig> {
  const settings = pagingSettings(options, { min: 10, max: 100 });
  return {
    ...manifestFields(twitterManifest),
    poll: (ctx) => pollTwitter(ctx, settings),
    verify: (ctx) => verifyTwitter(ctx, settings),
  };
}

/** One recent-search request of the smallest size X allows (10), with the source's own query. */
async function verifyTwitter(ctx: VerifyContext<TwitterConfig>, settings: PagingSettings): Promise<SourceVerifyResult> {
  const token = ctx.env.TWITTER_BEARER_TOKEN?.trim();
  if (!token) return { status: 'failed', message: 'TWITTER_BEARER_TOKEN is not set' };
  registerSecret(token);
  const client = { token, baseUrl: parseApiUrl(ctx.env.TWITTER_API_URL), timeoutMs: settings.timeoutMs, maxBytes: settings.maxBytes, signal: ctx.signal };
  try {
    const res = await twitterGet(client, SEARCH_ENDPOINT, { query: ctx.config.query, max_results: '10' });
    if (res.status >= 400) throw statusError(res, client.baseUrl, ctx.now());
    return { status: 'ok', message: 'X accepted TWITTER_BEARER_TOKEN and the query (one recent-search request)' };
  } catch (err) {
    return { status: 'failed', message: (err as Error).message };
  }
}

export const twitterSource = createTwitterSource();


interface Page {
  tweets: Tweet[];
  users: TwitterUser[];
  nextToken: string | undefined;
  skipped: number;
}

async function pollTwitter(ctx: SourceContext<TwitterConfig>, settings: PagingSettings): Promise<PollResult> {
  const token = ctx.env.TWITTER_BEARER_TOKEN?.trim();
  if (!token) {
    throw new SourceError('config', 'Twitter/X: TWITTER_BEARER_TOKEN is not set; add your X app\'s bearer token (developer.x.com → Projects & Apps → your app → Keys and tokens) to .env');
  }
  registerSecret(token);
  const client = {
    token,
    baseUrl: parseApiUrl(ctx.env.TWITTER_API_URL),
    timeoutMs: settings.timeoutMs,
    maxBytes: settings.maxBytes,
    signal: ctx.signal,
  };
  let since = validCursor(ctx.cursor.cursor);
  if (ctx.cursor.cursor && !since) {
    ctx.log.warn({ source: ctx.key }, 'twitter cursor is not a tweet id; starting from the newest page');
  }
  const items: FetchedItem[] = [];
  const seen = new Set<string>();
  let newest = since;
  let nextToken: string | undefined;

  const paged = await pageThrough({
    service: 'Twitter/X',
    noun: 'tweets',
    resuming: since !== null,
    settings,
    now: ctx.now(),
    async fetchPage(n): Promise<PageOutcome> {
      const query: Record<string, string> = {
        query: ctx.config.query,
        max_results: String(settings.pageSize),
        expansions: 'author_id',
        'tweet.fields': TWEET_FIELDS,
        'user.fields': USER_FIELDS,
      };
      if (since) query.since_id = since;
      if (nextToken) query.next_token = nextToken;
      const res = await twitterGet(client, SEARCH_ENDPOINT, query);
      const rateLimit = rateLimitFrom(res.headers);
      if (res.status === 400 && since && n === 1 && mentionsSinceId(res.data)) {
        // The cursor fell out of the 7-day window (the daemon was off for a while).
        const gap = `Twitter/X: the saved position (tweet ${since}) is older than X's 7-day recent-search window; polled the newest page only, so mentions in between may be missing`;
        since = null;
        return { last: false, restart: true, rateLimit, gap };
      }
      if (res.status === 429 && n > 1) {
        // Keep what the earlier pages brought; the rest of the backlog is skipped, and said so.
        const wait = retryAfter(res.headers, ctx.now());
        const gap = `Twitter/X: rate limit reached after ${n - 1} page(s); older tweets since the last poll were skipped`;
        return { last: true, rateLimit, gap, ...(wait !== undefined ? { minDelayMs: wait } : {}) };
      }
      if (res.status >= 400) throw statusError(res, client.baseUrl, ctx.now());

      const page = parsePage(res, ctx);
      const users = new Map(page.users.map((u) => [u.id, u]));
      for (const tweet of page.tweets) {
        if (seen.has(tweet.id)) continue;
        seen.add(tweet.id);
        items.push(mapTweet(tweet, users));
        if (newest === null || BigInt(tweet.id) > BigInt(newest)) newest = tweet.id;
      }
      nextToken = page.nextToken;
      return { last: !nextToken, rateLimit };
    },
  });

  const result: PollResult = { items, cursor: newest && newest !== ctx.cursor.cursor ? { cursor: newest } : {}, ...paged };
  ctx.log.debug({ source: ctx.key, items: items.length, remaining: paged.rateLimit?.remaining }, 'twitter poll done');
  return result;
}

function validCursor(cursor: string | null): string | null {
  return cursor && /^\d{1,20}$/.test(cursor) ? cursor : null;
}

function header(headers: TwitterResponse['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function numberHeader(headers: TwitterResponse['headers'], name: string): number | null {
  return numericHeader(header(headers, name));
}

export function rateLimitFrom(headers: TwitterResponse['headers']): RateLimit | undefined {
  return rateLimitFromHeaders((name) => header(headers, name), {
    remaining: 'x-rate-limit-remaining',
    limit: 'x-rate-limit-limit',
    reset: 'x-rate-limit-reset',
  });
}

function retryAfter(headers: TwitterResponse['headers'], now: Date): number {
  const reset = numberHeader(headers, 'x-rate-limit-reset');
  if (reset !== null) return Math.max(1000, reset * 1000 - now.getTime());
  const seconds = numberHeader(headers, 'retry-after');
  return seconds !== null ? seconds * 1000 : WINDOW_MS;
}

function parsePage(res: TwitterResponse, ctx: SourceContext<TwitterConfig>): Page {
  if (typeof res.data === 'string' || res.data === undefined) {
    const what = typeof res.data === 'string' && /<html|<!doctype/i.test(res.data) ? 'an HTML page' : 'a body that is not JSON';
    throw new SourceError('parse', `Twitter/X: search/recent answered HTTP ${res.status} with ${what} instead of JSON; check TWITTER_API_URL (a proxy or captive portal may be in the way)`);
  }
  const envelope = searchResponseSchema.safeParse(res.data);
  if (!envelope.success) {
    throw new SourceError('parse', `Twitter/X: search/recent returned JSON of an unexpected shape (${envelope.error.issues[0]?.message ?? 'invalid'}); check TWITTER_API_URL points at the X API v2`);
  }
  const tweets: Tweet[] = [];
  const users: TwitterUser[] = [];
  let skipped = 0;
  for (const raw of envelope.data.data ?? []) {
    const tweet = tweetSchema.safeParse(raw);
    if (tweet.success) tweets.push(tweet.data);
    else skipped++;
  }
  for (const raw of envelope.data.includes?.users ?? []) {
    const user = twitterUserSchema.safeParse(raw);
    if (user.success) users.push(user.data);
  }
  if (skipped) ctx.log.warn({ source: ctx.key, skipped }, 'twitter tweets with an unexpected shape were skipped');
  return { tweets, users, nextToken: envelope.data.meta?.next_token, skipped };
}

function mentionsSinceId(data: unknown): boolean {
  return JSON.stringify(data ?? '').includes('since_id');
}

/** X's own words about a failure, when it sent any (v2 problem or v1 errors), kept short. */
function xSays(data: unknown): string | null {
  if (typeof data === 'string') return /<html|<!doctype/i.test(data) ? 'an HTML error page' : null;
  const parsed = problemSchema.safeParse(data);
  if (!parsed.success) return null;
  const p = parsed.data;
  const parts = [p.title, p.detail ?? p.errors?.map((e) => e.message).filter(Boolean).join('; '), p.reason ? `(${p.reason})` : undefined]
    .filter((s): s is string => Boolean(s && s.trim()));
  if (!parts.length) return null;
  const text = parts.join(': ').replace(/\s+/g, ' ');
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

export function statusError(res: TwitterResponse, baseUrl: URL, now: Date): SourceError {
  const says = xSays(res.data);
  const quoted = says ? ` (X says: ${says})` : '';
  const head = `Twitter/X: HTTP ${res.status} on search/recent`;
  if (res.status === 401) {
    return new SourceError('auth', `${head} — TWITTER_BEARER_TOKEN was rejected (invalid, revoked, or not an app-only bearer token)${quoted}; ${PAUSED}`);
  }
  if (res.status === 403) {
    return new SourceError('auth', `${head} — your API plan has no search access or the token is invalid${quoted}; ${PAUSED}`);
  }
  if (res.status === 404) {
    return new SourceError('not_found', `${head} — no such endpoint at ${baseUrl.origin}; check TWITTER_API_URL (default https://api.twitter.com)`);
  }
  if (res.status === 429) {
    const wait = retryAfter(res.headers, now);
    const until = new Date(now.getTime() + wait).toISOString();
    return new SourceError('rate_limit', `${head} — rate limit used up; waiting until ${until} (x-rate-limit-reset) before polling again`, { retryAfterMs: wait });
  }
  if (res.status >= 500) {
    return new SourceError('server', `${head} — X is having trouble${quoted}; the next poll retries with back-off`);
  }
  if (res.status >= 400) {
    return new SourceError('config', `${head} — X rejected the request${quoted}; check \`query\` (X API v2 search syntax) in the source's YAML`);
  }
  return new SourceError('server', `${head} — unexpected status${quoted}`);
}
