/**
 * Bluesky source: `app.bsky.feed.searchPosts` (`sort=latest`), authenticated with an app
 * password (session handling in session.ts).
 *
 * Incremental: the cursor is the newest `indexedAt` seen plus the posts already returned in
 * the ten minutes before it (cursor.ts: search is eventually consistent, so a post can surface
 * after a newer one). Results come newest first; a later poll pages with the opaque search
 * cursor until it meets a post older than that window, at most `maxPages` pages; when the cap
 * stops it first, the skipped older posts are reported in `gaps`. A first poll (no cursor)
 * takes the newest page only.
 *
 * Rate limits: `RateLimit-Limit/Remaining/Reset` are reported; a low budget asks the scheduler
 * for `minDelayMs` until the reset; a 429 is SourceError('rate_limit') with `retryAfterMs`.
 */
import { registerSecret } from '../../core/log.js';
import type { HttpResponse } from '../http.js';
import type { FetchedItem } from '../../core/types.js';
import { rateLimitFromHeaders } from '../rate-limit.js';
import { pageThrough, pagingSettings, type PageOutcome, type PagedSourceOptions, type PagingSettings } from '../paging.js';
import { manifestFields, SourceError, type PollResult, type RateLimit, type SourceContext, type SourcePlugin, type SourceVerifyResult, type VerifyContext } from '../types.js';
import { blueskyManifest } from './manifest.js';
import { mapPost, postViewSchema, searchPostsSchema, sortTime, type PostView } from './payload.js';
import { blueskySettingsSchema, type BlueskyConfig } from './schema.js';
import { readCursor, writeCursor } from './cursor.js';
import { authedGet, checkLogin, isHtml, parseServiceUrl, resetIn, xrpcError, type Credentials, type XrpcOptions } from './session.js';

export type { BlueskyConfig } from './schema.js';
export const blueskyConfigSchema = blueskySettingsSchema();
export { clearBlueskySessions } from './session.js';

export const SEARCH_NSID = 'app.bsky.feed.searchPosts';

/** Request limits; see paging.ts (`pageSize` is 1..100 here). */
export type BlueskySourceOptions = PagedSourceOptions;


export function createBlueskySource(options: BlueskySourceOptions = {}): SourcePlugin<BlueskyConfig> {
  const settings = pagingSettings(options, { min: 1, max: 100 });
  return {
    ...manifestFields(blueskyManifest),
    poll: (ctx) => pollBluesky(ctx, settings),
    /** One login (createSession) with the handle and app password. */
    async verify(ctx: VerifyContext<BlueskyConfig>): Promise<SourceVerifyResult> {
      try {
        const creds = credentials(ctx.env);
        await checkLogin({ service: parseServiceUrl(ctx.env.BLUESKY_SERVICE_URL), timeoutMs: settings.timeoutMs, maxBytes: settings.maxBytes, signal: ctx.signal }, creds);
        return { status: 'ok', message: `Bluesky accepted the app password of ${creds.handle} (createSession)` };
      } catch (err) {
        return { status: 'failed', message: (err as Error).message };
      }
    },
  };
}

export const blueskySource = createBlueskySource();

function credentials(env: Record<string, string | undefined>): Credentials {
  const handle = env.BLUESKY_HANDLE?.trim().replace(/^@/, '');
  const appPassword = env.BLUESKY_APP_PASSWORD?.trim();
  const missing = [!handle && 'BLUESKY_HANDLE', !appPassword && 'BLUESKY_APP_PASSWORD'].filter(Boolean);
  if (!handle || !appPassword) {
    throw new SourceError('config', `Bluesky: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set; add your handle (e.g. acme.bsky.social) and an app password (Bluesky Settings → Privacy and security → App passwords) to .env`);
  }
  registerSecret(appPassword);
  return { handle, appPassword };
}

async function pollBluesky(ctx: SourceContext<BlueskyConfig>, settings: PagingSettings): Promise<PollResult> {
  const creds = credentials(ctx.env);
  const xrpcOptions: XrpcOptions = {
    service: parseServiceUrl(ctx.env.BLUESKY_SERVICE_URL),
    timeoutMs: settings.timeoutMs,
    maxBytes: settings.maxBytes,
    signal: ctx.signal,
  };
  const saved = readCursor(ctx.cursor.cursor);
  if (ctx.cursor.cursor && !saved) ctx.log.warn({ source: ctx.key }, 'bluesky cursor is unreadable; starting from the newest page');
  const items: FetchedItem[] = [];
  const accepted = new Map<string, string>();
  let pageCursor: string | undefined;

  const paged = await pageThrough({
    service: 'Bluesky',
    noun: 'posts',
    resuming: saved !== null,
    settings,
    now: ctx.now(),
    async fetchPage(): Promise<PageOutcome> {
      const query: Record<string, string> = { q: ctx.config.query, sort: 'latest', limit: String(settings.pageSize) };
      if (pageCursor) query.cursor = pageCursor;
      const res = await authedGet(xrpcOptions, creds, SEARCH_NSID, query);
      const rateLimit = rateLimitFrom(res);
      if (res.status >= 400) throw searchError(res, ctx.now());
      const page = parsePage(res, ctx);

      let reachedSaved = false;
      for (const post of page.posts) {
        const at = sortTime(post);
        if (saved !== null && at !== null && at <= saved.floor) {
          reachedSaved = true;
          continue;
        }
        if (saved?.recent.has(post.uri) || accepted.has(post.uri)) continue;
        items.push(mapPost(post));
        if (at !== null) accepted.set(post.uri, at);
      }
      pageCursor = page.cursor;
      return { last: reachedSaved || !pageCursor || page.posts.length === 0, rateLimit };
    },
  });

  const next = writeCursor(saved, accepted);
  const result: PollResult = { items, cursor: next && next !== ctx.cursor.cursor ? { cursor: next } : {}, ...paged };
  ctx.log.debug({ source: ctx.key, items: items.length, remaining: paged.rateLimit?.remaining }, 'bluesky poll done');
  return result;
}

interface Page {
  posts: PostView[];
  cursor: string | undefined;
}

function parsePage(res: HttpResponse, ctx: SourceContext<BlueskyConfig>): Page {
  let json: unknown;
  try {
    json = JSON.parse(res.body.toString('utf8'));
  } catch {
    const what = isHtml(res) ? 'an HTML page' : 'invalid JSON';
    throw new SourceError('parse', `Bluesky: searchPosts answered HTTP ${res.status} with ${what} instead of JSON; check BLUESKY_SERVICE_URL (a proxy or captive portal may be in the way)`);
  }
  const envelope = searchPostsSchema.safeParse(json);
  if (!envelope.success) {
    throw new SourceError('parse', `Bluesky: searchPosts returned JSON of an unexpected shape (${envelope.error.issues[0]?.message ?? 'invalid'}); check BLUESKY_SERVICE_URL points at a Bluesky PDS or AppView`);
  }
  const posts: PostView[] = [];
  let skipped = 0;
  for (const raw of envelope.data.posts) {
    const post = postViewSchema.safeParse(raw);
    if (post.success) posts.push(post.data);
    else skipped++;
  }
  if (skipped) ctx.log.warn({ source: ctx.key, skipped }, 'bluesky posts with an unexpected shape were skipped');
  return { posts, cursor: envelope.data.cursor };
}

export function rateLimitFrom(res: HttpResponse): RateLimit | undefined {
  return rateLimitFromHeaders((name) => res.headers.get(name), { remaining: 'ratelimit-remaining', limit: 'ratelimit-limit', reset: 'ratelimit-reset' });
}

function searchError(res: HttpResponse, now: Date): SourceError {
  const { error, message } = xrpcError(res);
  const says = error || message ? ` (${[error, message].filter(Boolean).join(': ')})` : isHtml(res) ? ' (an HTML error page)' : '';
  const head = `Bluesky: HTTP ${res.status} on searchPosts${says}`;
  if (res.status === 401) {
    return new SourceError('auth', `${head} — the session was refused even after renewing it; check BLUESKY_HANDLE and BLUESKY_APP_PASSWORD; the source is paused until they change`);
  }
  if (res.status === 403) {
    return new SourceError('auth', `${head} — Bluesky refuses search to this account (deactivated, suspended or not allowed); check the account behind BLUESKY_HANDLE; the source is paused until the credentials change`);
  }
  if (res.status === 404) {
    return new SourceError('not_found', `${head} — this service does not offer post search; check BLUESKY_SERVICE_URL (default https://bsky.social)`);
  }
  if (res.status === 429) {
    const wait = resetIn(res, now) ?? 5 * 60_000;
    return new SourceError('rate_limit', `${head} — rate limit used up; waiting until ${new Date(now.getTime() + wait).toISOString()} before polling again`, { retryAfterMs: wait });
  }
  if (res.status >= 500) {
    return new SourceError('server', `${head} — Bluesky search is having trouble; the next poll retries with back-off`);
  }
  return new SourceError('config', `${head} — Bluesky rejected the search; check \`query\` in the source's YAML`);
}
