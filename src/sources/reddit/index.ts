/**
 * Reddit source: posts from Reddit search (sorted by new), and optionally comments from the
 * subreddits' newest-comments stream filtered by the search words (Reddit's API has no
 * documented comment search).
 *
 * Polling:
 * - first poll of a stream (no cursor): the newest page only (up to 100 items), no history;
 * - later polls: pages back with `after` until an item at or older than the cursor, at most
 *   `pageCap` pages; when the cap stops it first, `gaps` says so;
 * - cursor: per stream the newest fullname and created_utc seen (see cursor.ts);
 * - rate limits: `x-ratelimit-*` are reported; when less than a tenth of the window (or fewer
 *   than 10 requests) is left, the poll asks the scheduler to wait for the reset (`minDelayMs`)
 *   instead of running into 429s; paging stops early when the budget is all but spent.
 */
import type { FetchedItem } from '../../core/types.js';
import { manifestFields, SourceError, type PollResult, type RateLimit, type SourceContext, type SourcePlugin, type SourceVerifyResult, type VerifyContext } from '../types.js';
import { redditManifest } from './manifest.js';
import { accessToken, apiGet, readRedditEnv, type RedditEnv, type RequestOptions } from './client.js';
import { advance, formatCursor, isNewer, parseCursor, type Position, type RedditCursor, type StreamCursor } from './cursor.js';
import { mapComment, mapPost } from './map.js';
import { commentDataSchema, listingSchema, postDataSchema } from './payload.js';
import type { RedditConfig } from './schema.js';
import { matchesSearch, parseSearch } from './search-words.js';

export { resetRedditTokenCache } from './client.js';
export type { RedditConfig } from './schema.js';

export interface RedditSourceOptions {
  /** Pages per stream and poll at most; default 5. */
  pageCap?: number;
  /** Per request, redirects and body included; default 30 s. */
  timeoutMs?: number;
}

const PAGE_LIMIT = 100;
/** Keep one request for a token refresh: stop paging when the budget is down to this. */
const BUDGET_FLOOR = 2;

type Stream = 'posts' | 'comments';

interface StreamResult {
  items: FetchedItem[];
  newest: StreamCursor | undefined;
  gap: string | undefined;
  rateLimit: RateLimit | undefined;
}

interface StreamSpec {
  stream: Stream;
  path: string;
  params: Record<string, string>;
  map: (data: unknown) => { item: FetchedItem; position: Position } | undefined;
  keep: (item: FetchedItem) => boolean;
}

function subredditPath(config: RedditConfig): string {
  return `/r/${config.subreddits?.length ? config.subreddits.map(encodeURIComponent).join('+') : 'all'}`;
}

function postSpec(config: RedditConfig, ctx: SourceContext<RedditConfig>): StreamSpec {
  const params: Record<string, string> = { q: config.search, sort: 'new', type: 'link', raw_json: '1' };
  if (config.subreddits?.length) params.restrict_sr = '1';
  return {
    stream: 'posts',
    path: `${subredditPath(config)}/search`,
    params,
    map(data) {
      const parsed = postDataSchema.safeParse(data);
      if (!parsed.success) {
        ctx.log.warn({ source: ctx.key, issues: parsed.error.issues.slice(0, 3) }, 'reddit: skipped a post with an unexpected shape');
        return undefined;
      }
      return { item: mapPost(parsed.data), position: { name: parsed.data.name, created: parsed.data.created_utc } };
    },
    keep: () => true,
  };
}

function commentSpec(config: RedditConfig, ctx: SourceContext<RedditConfig>): StreamSpec {
  const search = parseSearch(config.search);
  return {
    stream: 'comments',
    path: `${subredditPath(config)}/comments`,
    params: { raw_json: '1' },
    map(data) {
      const parsed = commentDataSchema.safeParse(data);
      if (!parsed.success) {
        ctx.log.warn({ source: ctx.key, issues: parsed.error.issues.slice(0, 3) }, 'reddit: skipped a comment with an unexpected shape');
        return undefined;
      }
      return { item: mapComment(parsed.data), position: { name: parsed.data.name, created: parsed.data.created_utc } };
    },
    keep: (item) => matchesSearch(`${item.title}\n${item.text}`, search),
  };
}

function isLow(rate: RateLimit | undefined): boolean {
  if (!rate || rate.remaining === null) return false;
  const threshold = Math.max(10, Math.ceil((rate.limit ?? 0) * 0.1));
  return rate.remaining < threshold;
}

function parseListing(body: unknown, url: string): { children: unknown[]; after: string | null } {
  const parsed = listingSchema.safeParse(body);
  if (!parsed.success) {
    throw new SourceError('parse', `reddit: ${url} did not return a Listing (${parsed.error.issues[0]?.message ?? 'unexpected shape'}); check REDDIT_API_URL`);
  }
  return { children: parsed.data.data.children.map((c) => c.data), after: parsed.data.data.after ?? null };
}

async function readStream(
  spec: StreamSpec,
  since: StreamCursor | undefined,
  env: RedditEnv,
  options: RequestOptions,
  pageCap: number,
): Promise<StreamResult> {
  const items: FetchedItem[] = [];
  const seen = new Set<string>();
  let position = since;
  let rateLimit: RateLimit | undefined;
  let after: string | null = null;
  for (let page = 1; ; page += 1) {
    const params = new URLSearchParams({ ...spec.params, limit: String(PAGE_LIMIT) });
    if (after) params.set('after', after);
    const res = await apiGet(env, spec.path, params, options);
    rateLimit = res.rateLimit ?? rateLimit;
    const listing = parseListing(res.body, `${env.apiUrl}${spec.path}`);
    let reachedCursor = false;
    for (const data of listing.children) {
      const mapped = spec.map(data);
      if (!mapped) continue;
      if (!isNewer(mapped.position, since)) {
        reachedCursor = true;
        continue;
      }
      // A page can shift while we page (new items push old ones down): skip repeats.
      if (seen.has(mapped.item.sourceId)) continue;
      seen.add(mapped.item.sourceId);
      position = advance(position, mapped.position);
      if (spec.keep(mapped.item)) items.push(mapped.item);
    }
    const done = !since || reachedCursor || !listing.after || listing.children.length === 0;
    if (done) return { items, newest: position, gap: undefined, rateLimit };
    if (page >= pageCap) {
      return { items, newest: position, gap: `reddit ${spec.stream}: page cap of ${pageCap} reached; older mentions since the last poll may be missing`, rateLimit };
    }
    if (rateLimit?.remaining !== null && rateLimit?.remaining !== undefined && rateLimit.remaining <= BUDGET_FLOOR) {
      return { items, newest: position, gap: `reddit ${spec.stream}: rate-limit budget spent after ${page} pages; older mentions since the last poll may be missing`, rateLimit };
    }
    after = listing.after;
  }
}

export function createRedditSource(sourceOptions: RedditSourceOptions = {}): SourcePlugin<RedditConfig> {
  const pageCap = sourceOptions.pageCap ?? 5;
  const timeoutMs = sourceOptions.timeoutMs ?? 30_000;
  return {
    ...manifestFields(redditManifest),
    /** A fresh application-only OAuth token: the one call every poll starts with. */
    async verify(ctx: VerifyContext<RedditConfig>): Promise<SourceVerifyResult> {
      try {
        await accessToken(readRedditEnv(ctx.env), { timeoutMs, signal: ctx.signal, now: ctx.now }, true);
        return { status: 'ok', message: 'Reddit accepted REDDIT_CLIENT_ID / REDDIT_CLIENT_SECRET (an application-only OAuth token)' };
      } catch (err) {
        return { status: 'failed', message: (err as Error).message };
      }
    },
    async poll(ctx: SourceContext<RedditConfig>): Promise<PollResult> {
      const env = readRedditEnv(ctx.env);
      const options: RequestOptions = { timeoutMs, signal: ctx.signal, now: ctx.now };
      const previous = parseCursor(ctx.cursor.cursor);
      if (ctx.cursor.cursor && !previous) {
        ctx.log.warn({ source: ctx.key }, 'reddit: unreadable cursor; starting again from the newest page');
      }
      const specs = [postSpec(ctx.config, ctx)];
      if (ctx.config.include_comments) specs.push(commentSpec(ctx.config, ctx));

      const items: FetchedItem[] = [];
      const gaps: string[] = [];
      const next: RedditCursor = { ...(previous ?? {}) };
      let rateLimit: RateLimit | undefined;
      for (const spec of specs) {
        const result = await readStream(spec, previous?.[spec.stream], env, options, pageCap);
        items.push(...result.items);
        if (result.gap) gaps.push(result.gap);
        rateLimit = result.rateLimit ?? rateLimit;
        if (result.newest) next[spec.stream] = result.newest;
      }

      const out: PollResult = { items, cursor: {} };
      if (next.posts || next.comments) out.cursor.cursor = formatCursor(next);
      if (gaps.length) out.gaps = gaps;
      if (rateLimit) {
        out.rateLimit = rateLimit;
        if (isLow(rateLimit) && rateLimit.resetAt) {
          out.minDelayMs = Math.max(0, Date.parse(rateLimit.resetAt) - ctx.now().getTime());
        }
      }
      return out;
    },
  };
}

export const redditSource = createRedditSource();
