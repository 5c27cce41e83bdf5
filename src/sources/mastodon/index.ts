/**
 * Mastodon source, two modes:
 * - `hashtag`: `GET {instance}/api/v1/timelines/tag/{tag}` (public, no token; the token is never
 *   sent here, as it belongs to one instance and `instance` may be another);
 * - `query`: `GET {instance}/api/v2/search?type=statuses` with MASTODON_ACCESS_TOKEN.
 *
 * Incremental: the cursor is the newest status id seen, plus the ids already returned in the ten
 * minutes before it (cursor.ts: search lags and federated statuses arrive late). A first poll
 * (no cursor) takes the newest page only. Later polls ask for statuses newer than that window
 * (`since_id` on the timeline, `min_id` on search) newest first, and page older: the timeline with the `max_id` of
 * its `Link: rel="next"` header, search (which sends no Link header) with `offset`; at most
 * `maxPages` pages, until a page brings nothing new (a short page is not trusted as the end:
 * Mastodon drops filtered statuses from a page); when the cap stops paging first, the skipped
 * statuses are reported in `gaps`.
 *
 * Rate limits: `x-ratelimit-limit/remaining/reset` (the reset is an ISO time) are reported; a
 * low budget asks for `minDelayMs` until the reset; a 429 is SourceError('rate_limit').
 */
import { errorForStatus, httpRequest, safeUrl, type HttpResponse } from '../http.js';
import { registerSecret } from '../../core/log.js';
import type { FetchedItem } from '../../core/types.js';
import { numericHeader } from '../rate-limit.js';
import { pageThrough, pagingSettings, type PageOutcome, type PagedSourceOptions, type PagingSettings } from '../paging.js';
import { manifestFields, SourceError, type PollResult, type RateLimit, type SourceContext, type SourcePlugin, type SourceVerifyResult, type VerifyContext } from '../types.js';
import { mastodonManifest } from './manifest.js';
import { readCursor, writeCursor } from './cursor.js';
import { compareIds, mapStatus, searchResultSchema, statusSchema, type Status } from './payload.js';
import { instanceOrigin, mastodonSettingsSchema, type MastodonConfig } from './schema.js';

export type { MastodonConfig } from './schema.js';
export const mastodonConfigSchema = mastodonSettingsSchema();

/** Request limits; see paging.ts (`pageSize` is 1..40 here). */
export type MastodonSourceOptions = PagedSourceOptions;


export function createMastodonSource(options: MastodonSourceOptions = {}): SourcePlugin<MastodonConfig> {
  const settings = pagingSettings(options, { min: 1, max: 40 });
  return {
    ...manifestFields(mastodonManifest),
    poll: (ctx) => pollMastodon(ctx, settings),
    verify: (ctx) => verifyMastodon(ctx, settings),
  };
}

/** One request of one status the way polls ask (search with the token, or the hashtag timeline). */
async function verifyMastodon(ctx: VerifyContext<MastodonConfig>, settings: PagingSettings): Promise<SourceVerifyResult> {
  const origin = instanceOrigin(ctx.config.instance);
  if (!origin) return { status: 'failed', message: `instance ${JSON.stringify(ctx.config.instance)} is not a host name or URL; use e.g. mastodon.social` };
  try {
    const mode = modeFor(ctx.config, ctx.env);
    const url = `${origin}${mode.path}?${new URLSearchParams({ ...mode.baseQuery, limit: '1' }).toString()}`;
    const res = await get(url, mode, { ...ctx, cursor: { etag: null, lastModified: null, cursor: null } }, settings);
    if (res.status >= 400) throw statusError(res, mode, origin, ctx.now());
    return { status: 'ok', message: `${new URL(origin).host} answered ${mode.what}${mode.token ? ' and accepted MASTODON_ACCESS_TOKEN' : ''}` };
  } catch (err) {
    return { status: 'failed', message: (err as Error).message };
  }
}

export const mastodonSource = createMastodonSource();

interface Mode {
  /** For messages: 'the #acme timeline' or 'search'. */
  what: string;
  path: string;
  token: string | null;
  /** The parameter that asks for statuses newer than the cursor. */
  newerParam: 'since_id' | 'min_id';
  baseQuery: Record<string, string>;
  readStatuses(json: unknown): unknown[] | null;
}

function modeFor(config: MastodonConfig, env: Record<string, string | undefined>): Mode {
  if (config.hashtag !== undefined) {
    return {
      what: `the #${config.hashtag} timeline`,
      path: `/api/v1/timelines/tag/${encodeURIComponent(config.hashtag)}`,
      token: null,
      newerParam: 'since_id',
      baseQuery: {},
      readStatuses: (json) => (Array.isArray(json) ? json : null),
    };
  }
  const token = env.MASTODON_ACCESS_TOKEN?.trim();
  if (!token) {
    throw new SourceError('config', 'Mastodon: MASTODON_ACCESS_TOKEN is not set, and `query` (status search) needs one; create it on your instance under Preferences → Development → New application (scope read:search), or use `hashtag` instead');
  }
  registerSecret(token);
  return {
    what: 'search',
    path: '/api/v2/search',
    token,
    newerParam: 'min_id',
    baseQuery: { q: config.query ?? '', type: 'statuses', resolve: 'false' },
    readStatuses: (json) => {
      const parsed = searchResultSchema.safeParse(json);
      return parsed.success ? parsed.data.statuses : null;
    },
  };
}

async function pollMastodon(ctx: SourceContext<MastodonConfig>, settings: PagingSettings): Promise<PollResult> {
  const origin = instanceOrigin(ctx.config.instance);
  if (!origin) throw new SourceError('config', `Mastodon: instance ${JSON.stringify(ctx.config.instance)} is not a host name or URL; use e.g. mastodon.social`);
  const mode = modeFor(ctx.config, ctx.env);
  const saved = readCursor(ctx.cursor.cursor);
  if (ctx.cursor.cursor && !saved) ctx.log.warn({ source: ctx.key }, 'mastodon cursor is unreadable; starting from the newest page');
  const items: FetchedItem[] = [];
  const accepted: string[] = [];
  const seen = new Set<string>();
  let maxId: string | undefined;

  const paged = await pageThrough({
    service: 'Mastodon',
    noun: 'statuses',
    where: ` on ${mode.what}`,
    resuming: saved !== null,
    settings,
    now: ctx.now(),
    async fetchPage(n): Promise<PageOutcome> {
      const query: Record<string, string> = { ...mode.baseQuery, limit: String(settings.pageSize) };
      if (saved) query[mode.newerParam] = saved.floorId;
      if (mode.newerParam === 'min_id' && n > 1) query.offset = String((n - 1) * settings.pageSize);
      if (mode.newerParam === 'since_id' && maxId) query.max_id = maxId;
      const url = `${origin}${mode.path}?${new URLSearchParams(query).toString()}`;
      const res = await get(url, mode, ctx, settings);
      const rateLimit = rateLimitFrom(res);
      if (res.status >= 400) throw statusError(res, mode, origin, ctx.now());
      const statuses = parseStatuses(res, mode, ctx);

      let inWindow = 0;
      for (const wrapper of statuses) {
        // Defensive: a server ignoring since_id/min_id must not bring back what was stored.
        if (saved !== null && compareIds(wrapper.id, saved.floorId) <= 0) continue;
        inWindow++;
        if (saved?.recent.has(wrapper.id)) continue;
        accepted.push(wrapper.id);
        const item = mapStatus(wrapper);
        if (seen.has(item.sourceId)) continue;
        seen.add(item.sourceId);
        items.push(item);
      }
      maxId = nextMaxId(res, statuses);
      // A short page does not prove the end (filtered statuses leave holes): only an empty one does.
      return { last: inWindow === 0 || (mode.newerParam === 'since_id' && !maxId), rateLimit };
    },
  });

  const next = writeCursor(saved, accepted);
  const result: PollResult = { items, cursor: next && next !== ctx.cursor.cursor ? { cursor: next } : {}, ...paged };
  ctx.log.debug({ source: ctx.key, items: items.length, remaining: paged.rateLimit?.remaining }, 'mastodon poll done');
  return result;
}

async function get(url: string, mode: Mode, ctx: SourceContext<MastodonConfig>, settings: PagingSettings): Promise<HttpResponse> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (mode.token) headers.authorization = `Bearer ${mode.token}`;
  try {
    return await httpRequest({ url, headers, timeoutMs: settings.timeoutMs, maxBytes: settings.maxBytes, signal: ctx.signal });
  } catch (err) {
    if (err instanceof SourceError) {
      throw new SourceError(err.kind, `Mastodon: ${err.message}`, { cause: err, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) });
    }
    throw err;
  }
}

function isHtml(res: HttpResponse): boolean {
  const type = res.headers.get('content-type') ?? '';
  return type.includes('text/html') || /^\s*</.test(res.body.subarray(0, 64).toString('utf8'));
}

function parseStatuses(res: HttpResponse, mode: Mode, ctx: SourceContext<MastodonConfig>): Status[] {
  let json: unknown;
  try {
    json = JSON.parse(res.body.toString('utf8'));
  } catch {
    const what = isHtml(res) ? 'an HTML page' : 'invalid JSON';
    throw new SourceError('parse', `Mastodon: ${mode.what} on ${safeUrl(res.url)} answered HTTP ${res.status} with ${what} instead of JSON; check \`instance\` is a Mastodon server`);
  }
  const raw = mode.readStatuses(json);
  if (raw === null) {
    throw new SourceError('parse', `Mastodon: ${mode.what} returned JSON of an unexpected shape; check \`instance\` is a Mastodon server (API v1/v2)`);
  }
  const statuses: Status[] = [];
  let skipped = 0;
  for (const entry of raw) {
    const parsed = statusSchema.safeParse(entry);
    if (parsed.success) statuses.push(parsed.data);
    else skipped++;
  }
  if (skipped) ctx.log.warn({ source: ctx.key, skipped }, 'mastodon statuses with an unexpected shape were skipped');
  return statuses;
}

/** The max_id of the `Link: <...>; rel="next"` header, else the oldest id on the page. */
export function nextMaxId(res: HttpResponse, statuses: Status[]): string | undefined {
  const link = res.headers.get('link');
  if (link) {
    for (const part of link.split(',')) {
      const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
      if (!match) continue;
      try {
        const maxId = new URL(match[1]!).searchParams.get('max_id');
        if (maxId) return maxId;
      } catch {
        // a malformed link: fall back to the page
      }
    }
  }
  let oldest: string | undefined;
  for (const s of statuses) if (oldest === undefined || compareIds(s.id, oldest) < 0) oldest = s.id;
  return oldest;
}

export function rateLimitFrom(res: HttpResponse): RateLimit | undefined {
  const remaining = numericHeader(res.headers.get('x-ratelimit-remaining'));
  const limit = numericHeader(res.headers.get('x-ratelimit-limit'));
  const resetRaw = res.headers.get('x-ratelimit-reset');
  const resetMs = resetRaw ? Date.parse(resetRaw) : NaN;
  if (remaining === null && limit === null && Number.isNaN(resetMs)) return undefined;
  return { remaining, limit, resetAt: Number.isNaN(resetMs) ? null : new Date(resetMs).toISOString() };
}

function mastodonSays(res: HttpResponse): string {
  try {
    const error = (JSON.parse(res.body.toString('utf8')) as { error?: unknown }).error;
    if (typeof error === 'string' && error.trim()) return ` (${error.trim().slice(0, 200)})`;
  } catch {
    // not JSON
  }
  return isHtml(res) ? ' (an HTML error page)' : '';
}

function statusError(res: HttpResponse, mode: Mode, origin: string, now: Date): SourceError {
  const head = `Mastodon: HTTP ${res.status} on ${mode.what} at ${origin}${mastodonSays(res)}`;
  if (res.status === 401 || res.status === 403) {
    const fix = mode.token
      ? `MASTODON_ACCESS_TOKEN was refused; create a token on ${origin} (Preferences → Development → New application, scope read:search)`
      : `${origin} does not show hashtag timelines without login; pick another instance`;
    return new SourceError('auth', `${head} — ${fix}; the source is paused until MASTODON_ACCESS_TOKEN or the config changes`);
  }
  if (res.status === 404 || res.status === 410) {
    return new SourceError('not_found', `${head} — ${origin} does not serve this Mastodon API; check \`instance\` in the source's YAML`);
  }
  if (res.status === 429) {
    const reset = rateLimitFrom(res)?.resetAt;
    const fromReset = reset ? Date.parse(reset) - now.getTime() : NaN;
    const fallback = errorForStatus(res, head, '').retryAfterMs ?? 5 * 60_000;
    const wait = Number.isFinite(fromReset) && fromReset > 0 ? fromReset : fallback;
    return new SourceError('rate_limit', `${head} — rate limit used up; waiting until ${new Date(now.getTime() + wait).toISOString()} before polling again`, { retryAfterMs: wait });
  }
  if (res.status >= 500) {
    return new SourceError('server', `${head} — the instance is having trouble; the next poll retries with back-off`);
  }
  return new SourceError('config', `${head} — the instance rejected the request; check \`${mode.token ? 'query' : 'hashtag'}\` in the source's YAML`);
}
