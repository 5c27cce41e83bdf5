/**
 * Hacker News source: Algolia HN Search `search_by_date`, stories and comments, no credentials.
 *
 * Polling:
 * - first poll (no cursor): the newest page only (up to 100 hits), no history;
 * - later polls: `numericFilters=created_at_i>=<cursor>` and pages 0, 1, ... until the last page,
 *   at most `pageCap` pages; when the cap stops it first, `gaps` says so;
 * - cursor: the newest `created_at_i` seen, plus the ids seen in that second
 *   (`1420291682:8830693`), so that a hit posted in the same second after the poll is still
 *   fetched and none is fetched twice.
 *
 * Rate limit: Algolia allows 10,000 requests per hour per IP and sends no budget headers; a 429
 * waits for Retry-After (else a minute).
 */
import { errorForStatus, httpRequest, retryAfterMs, safeUrl, type HttpResponse } from '../http.js';
import type { FetchedItem } from '../../core/types.js';
import { manifestFields, SourceError, type PollResult, type SourceContext, type SourcePlugin } from '../types.js';
import { hackernewsManifest } from './manifest.js';
import { mapHit } from './map.js';
import { hitSchema, searchResponseSchema } from './payload.js';
import type { HackernewsConfig } from './schema.js';

export type { HackernewsConfig } from './schema.js';

export { DEFAULT_HN_API_URL } from './manifest.js';
import { DEFAULT_HN_API_URL } from './manifest.js';
const HITS_PER_PAGE = 100;

export interface HackernewsSourceOptions {
  /** Pages per poll at most; default 5. */
  pageCap?: number;
  /** Per request, body included; default 30 s. */
  timeoutMs?: number;
}

export interface HnCursor {
  /** Newest created_at_i seen. */
  at: number;
  /** objectIDs seen with exactly that created_at_i. */
  ids: string[];
}

export function parseHnCursor(text: string | null): HnCursor | null {
  if (!text) return null;
  const match = /^(\d+)(?::([0-9,]*))?$/.exec(text.trim());
  if (!match) return null;
  return { at: Number(match[1]), ids: (match[2] ?? '').split(',').filter(Boolean) };
}

export function formatHnCursor(cursor: HnCursor): string {
  return cursor.ids.length ? `${cursor.at}:${[...cursor.ids].sort().join(',')}` : String(cursor.at);
}

function advance(cursor: HnCursor | null, at: number, id: string): HnCursor {
  if (!cursor || at > cursor.at) return { at, ids: [id] };
  if (at === cursor.at && !cursor.ids.includes(id)) return { at, ids: [...cursor.ids, id] };
  return cursor;
}

function tagFilter(tags: readonly string[]): string {
  return tags.length === 1 ? tags[0]! : `(${tags.join(',')})`;
}

function looksLikeHtml(res: HttpResponse): boolean {
  if (/html/i.test(res.headers.get('content-type') ?? '')) return true;
  return /^\s*</.test(res.body.subarray(0, 64).toString('utf8'));
}

function named(err: unknown): unknown {
  if (!(err instanceof SourceError) || err.message.startsWith('hackernews:')) return err;
  const options = err.retryAfterMs === undefined ? { cause: err } : { cause: err, retryAfterMs: err.retryAfterMs };
  return new SourceError(err.kind, `hackernews: ${err.message}`, options);
}

function statusError(res: HttpResponse, url: string, now: Date): SourceError {
  const where = safeUrl(url);
  const page = looksLikeHtml(res) ? ' (an HTML error page, not the API)' : '';
  switch (res.status) {
    case 403:
      return new SourceError('auth', `hackernews: HTTP 403 from ${where}: the HN Search API refused the request (blocked address or a proxy in the way)${page}; check HN_API_URL`);
    case 404:
      return new SourceError('not_found', `hackernews: HTTP 404 from ${where}: no search endpoint there${page}; check HN_API_URL (default ${DEFAULT_HN_API_URL})`);
    case 429: {
      const wait = retryAfterMs(res.headers, now) ?? 60_000;
      return new SourceError('rate_limit', `hackernews: HTTP 429 from ${where}: rate limit reached (10,000 requests per hour per IP); waiting ${Math.ceil(wait / 1000)} s`, { retryAfterMs: wait });
    }
    default: {
      const hint = res.status >= 500 ? 'the HN Search API is having trouble; retried with backoff' : 'check query and tags in the source, and HN_API_URL';
      return errorForStatus(res, `hackernews: ${where}`, `${hint}${page}`);
    }
  }
}

interface Page {
  hits: unknown[];
  nbPages: number;
}

async function fetchPage(url: string, ctx: SourceContext<HackernewsConfig>, timeoutMs: number): Promise<Page> {
  let res: HttpResponse;
  try {
    res = await httpRequest({ url, headers: { accept: 'application/json' }, timeoutMs, signal: ctx.signal });
  } catch (err) {
    throw named(err);
  }
  if (res.status < 200 || res.status >= 300) throw statusError(res, url, ctx.now());
  const where = safeUrl(url);
  if (looksLikeHtml(res)) {
    throw new SourceError('parse', `hackernews: ${where} answered with an HTML page instead of JSON (HTTP ${res.status}); check HN_API_URL`);
  }
  let body: unknown;
  try {
    body = JSON.parse(res.body.toString('utf8'));
  } catch (err) {
    throw new SourceError('parse', `hackernews: invalid JSON from ${where}; the HN Search API may be having trouble, it is retried on the next poll`, { cause: err });
  }
  const parsed = searchResponseSchema.safeParse(body);
  if (!parsed.success) {
    throw new SourceError('parse', `hackernews: ${where} is not an HN Search response (${parsed.error.issues[0]?.message ?? 'unexpected shape'}); check HN_API_URL`);
  }
  return { hits: parsed.data.hits, nbPages: parsed.data.nbPages };
}

function searchUrl(base: string, config: HackernewsConfig, since: HnCursor | null, page: number): string {
  const params = new URLSearchParams({ query: config.query, tags: tagFilter(config.tags), hitsPerPage: String(HITS_PER_PAGE), page: String(page) });
  // >= rather than >: a hit from the cursor's own second may have arrived after the last poll.
  if (since) params.set('numericFilters', `created_at_i>=${since.at}`);
  return `${base}/search_by_date?${params.toString()}`;
}

export function createHackernewsSource(sourceOptions: HackernewsSourceOptions = {}): SourcePlugin<HackernewsConfig> {
  const pageCap = sourceOptions.pageCap ?? 5;
  const timeoutMs = sourceOptions.timeoutMs ?? 30_000;
  return {
    ...manifestFields(hackernewsManifest),
    async poll(ctx: SourceContext<HackernewsConfig>): Promise<PollResult> {
      const base = (ctx.env.HN_API_URL?.trim() || DEFAULT_HN_API_URL).replace(/\/+$/, '');
      const since = parseHnCursor(ctx.cursor.cursor);
      if (ctx.cursor.cursor && !since) {
        ctx.log.warn({ source: ctx.key }, 'hackernews: unreadable cursor; starting again from the newest page');
      }
      const items: FetchedItem[] = [];
      const seen = new Set<string>(since?.ids ?? []);
      let next = since;
      const gaps: string[] = [];
      for (let page = 0; ; page += 1) {
        const result = await fetchPage(searchUrl(base, ctx.config, since, page), ctx, timeoutMs);
        for (const raw of result.hits) {
          const parsed = hitSchema.safeParse(raw);
          if (!parsed.success) {
            ctx.log.warn({ source: ctx.key, issues: parsed.error.issues.slice(0, 3) }, 'hackernews: skipped a hit with an unexpected shape');
            continue;
          }
          const hit = parsed.data;
          if (since && hit.created_at_i < since.at) continue;
          // Pages shift while we page (new hits push old ones down), and the cursor's second is fetched again.
          if (seen.has(hit.objectID)) continue;
          seen.add(hit.objectID);
          next = advance(next, hit.created_at_i, hit.objectID);
          items.push(mapHit(hit));
        }
        const lastPage = !since || result.hits.length === 0 || page + 1 >= result.nbPages;
        if (lastPage) break;
        if (page + 1 >= pageCap) {
          gaps.push(`hackernews: page cap of ${pageCap} reached; older mentions since the last poll may be missing`);
          break;
        }
      }
      const out: PollResult = { items, cursor: {} };
      if (next) out.cursor.cursor = formatHnCursor(next);
      if (gaps.length) out.gaps = gaps;
      return out;
    },
  };
}

export const hackernewsSource = createHackernewsSource();
