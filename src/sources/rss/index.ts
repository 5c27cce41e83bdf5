/**
 * The `rss` source: one RSS / Atom / RDF / JSON feed, polled with a conditional GET.
 *
 * - The ETag and Last-Modified of the last successful poll are sent back as If-None-Match /
 *   If-Modified-Since; a 304 means nothing changed and costs no parsing.
 * - 429 and 503 honour Retry-After; other statuses map through errorForStatus with a hint that
 *   names the source and the url to check.
 * - An HTML page where a feed was expected is reported with the feed URL the page announces.
 * - The whole feed is returned on every changed poll; the pipeline drops what it already stored.
 */
import { errorForStatus, httpRequest, retryAfterMs, safeUrl, type HttpResponse } from '../http.js';
import { manifestFields, SourceError, type PollResult, type SourceContext, type SourcePlugin } from '../types.js';
import { rssManifest } from './manifest.js';
import type { RssConfig } from './schema.js';

export type { RssConfig } from './schema.js';
export type { ParsedFeed } from './parse.js';

const ACCEPT = 'application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5';

export interface RssSourceOptions {
  /** Whole-request deadline; default the HTTP client's (30 s). */
  timeoutMs?: number;
  /** Size cap on the decompressed feed; default the HTTP client's (10 MiB). */
  maxBytes?: number;
}

/** Builds the plugin; `rssSource` is the one with default limits. Tests use smaller ones. */
export function createRssSource(options: RssSourceOptions = {}): SourcePlugin<RssConfig> {
  return {
    ...manifestFields(rssManifest),
    poll: (ctx) => pollFeed(ctx, options),
  };
}

export const rssSource: SourcePlugin<RssConfig> = createRssSource();

async function pollFeed(ctx: SourceContext<RssConfig>, options: RssSourceOptions): Promise<PollResult> {
  const { url } = ctx.config;
  const headers: Record<string, string> = { accept: ACCEPT };
  if (ctx.cursor.etag) headers['if-none-match'] = ctx.cursor.etag;
  if (ctx.cursor.lastModified) headers['if-modified-since'] = ctx.cursor.lastModified;
  const res = await httpRequest({ url, headers, signal: ctx.signal, ...limits(options) });

  if (res.status === 304) return { items: [], cursor: {}, notModified: true };
  if (res.status < 200 || res.status > 299) throw statusError(res, ctx);
  if (res.url !== url) ctx.log.debug({ source: ctx.key, from: safeUrl(url), to: safeUrl(res.url) }, 'feed redirected; consider updating the url');

  // The parser (htmlparser2, iconv-lite) loads on the first poll, not when the config is checked.
  const { parseFeed } = await import('./parse.js');
  const feed = parseFeed(res.body, {
    url: res.url,
    contentType: res.headers.get('content-type'),
    contentLocation: res.headers.get('content-location'),
  });
  ctx.log.debug({ source: ctx.key, format: feed.format, items: feed.items.length }, 'feed parsed');
  // An entry with no title, no link and no text carries nothing to match or show, so no brand
  // query can select it: named, so that the silence has a reason (real feeds have entries with
  // only an <id>). It stays in the result, counted as fetched.
  const items = feed.items;
  const skipped = feed.items.filter((it) => !(it.title || it.url || it.text)).map((it) => (it.sourceId.startsWith('sha1:') ? 'an entry without id' : it.sourceId));
  const result: PollResult = {
    items,
    cursor: { etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') },
  };
  if (skipped.length > 0) {
    result.gaps = [skippedEntries(skipped)];
    ctx.log.warn({ source: ctx.key, skipped: skipped.length, ids: skipped.slice(0, 5) }, result.gaps[0]!);
  }
  return result;
}

/** '2 entries skipped: no title, link or text (urn:1, urn:2)': named, so the feed's owner can be told. */
function skippedEntries(ids: readonly string[]): string {
  const shown = ids.slice(0, 5).join(', ') + (ids.length > 5 ? `, and ${ids.length - 5} more` : '');
  return `${ids.length} ${ids.length === 1 ? 'entry' : 'entries'} skipped: no title, link or text (${shown})`;
}

function limits(options: RssSourceOptions): { timeoutMs?: number; maxBytes?: number } {
  const out: { timeoutMs?: number; maxBytes?: number } = {};
  if (options.timeoutMs !== undefined) out.timeoutMs = options.timeoutMs;
  if (options.maxBytes !== undefined) out.maxBytes = options.maxBytes;
  return out;
}

function statusError(res: HttpResponse, ctx: SourceContext<RssConfig>): SourceError {
  const what = `${ctx.key} ${safeUrl(ctx.config.url)}`;
  const retryAfter = retryAfterMs(res.headers, ctx.now());
  const wait = retryAfter === undefined ? {} : { retryAfterMs: retryAfter };
  if (res.status === 429) {
    return new SourceError('rate_limit', `${what}: HTTP 429 Too Many Requests; the feed asks earshot to poll less often${retryAfter === undefined ? '' : ` (retry after ${Math.ceil(retryAfter / 1000)} s)`}; consider a longer every:`, wait);
  }
  if (res.status === 503) {
    return new SourceError('server', `${what}: HTTP 503 Service Unavailable; the feed's server is down or overloaded, earshot will retry${retryAfter === undefined ? '' : ` after ${Math.ceil(retryAfter / 1000)} s`}`, wait);
  }
  return errorForStatus(res, what, hintFor(res.status, ctx));
}

function hintFor(status: number, ctx: SourceContext<RssConfig>): string {
  const check = `check the url of ${ctx.key} in sources/ (brand ${ctx.brand})`;
  if (status === 401 || status === 403) return `${check}; the feed answered ${status}: it needs a login or blocks earshot's User-Agent`;
  if (status === 404 || status === 410) return `${check}; the feed answered ${status}: it does not exist (any more)`;
  if (status >= 500) return `the feed's server failed (${status}); earshot will retry`;
  return `${check}; the feed answered ${status}`;
}
