/**
 * What the paged search sources (Twitter/X, Bluesky, Mastodon) share: their limits (how long a
 * request may take, how big a response may be, how many items per page and pages per poll) and
 * the paging loop itself (`pageThrough`).
 */
import { lowBudgetDelay } from './rate-limit.js';
import type { RateLimit } from './types.js';

export interface PagedSourceOptions {
  /** Whole-request deadline; default 30 s. */
  timeoutMs?: number;
  /** Pages per poll after the first; default 5. */
  maxPages?: number;
  /** Items per request, within the API's own bounds; default the API's maximum. */
  pageSize?: number;
  /** Response size cap; default 5 MiB. */
  maxBytes?: number;
}

export interface PagingSettings {
  timeoutMs: number;
  maxPages: number;
  pageSize: number;
  maxBytes: number;
}

/** Fills in defaults and keeps the page size within the API's bounds. */
export function pagingSettings(options: PagedSourceOptions, pageSize: { min: number; max: number }): PagingSettings {
  return {
    timeoutMs: options.timeoutMs ?? 30_000,
    maxPages: Math.max(1, options.maxPages ?? 5),
    pageSize: Math.min(pageSize.max, Math.max(pageSize.min, options.pageSize ?? pageSize.max)),
    maxBytes: options.maxBytes ?? 5 * 1024 * 1024,
  };
}

export interface PageOutcome {
  /** Nothing older to fetch: no next page, an empty page, or the saved position reached. */
  last: boolean;
  /** The budget the response reported, when it did. */
  rateLimit?: RateLimit | undefined;
  /** A coverage gap this page ran into (e.g. a 429 after the first page: what came so far is kept). */
  gap?: string;
  /** Do not poll again before this many ms. */
  minDelayMs?: number;
  /**
   * The saved position is unusable (e.g. older than the API's search window): start over with
   * the newest page only, as on a first poll; the page reported its own gap.
   */
  restart?: boolean;
}

export interface PagedSearch {
  /** 'Twitter/X', 'Bluesky', 'Mastodon': the start of every gap message. */
  service: string;
  /** What a page holds, plural: 'tweets', 'posts', 'statuses'. */
  noun: string;
  /** Where, for gap messages: ' on the #acme timeline'; default ''. */
  where?: string;
  /**
   * A later poll resumes from a saved position and may page back through the backlog; a first
   * poll (nothing saved) takes the newest page only, and stopping there is no gap.
   */
  resuming: boolean;
  settings: PagingSettings;
  now: Date;
  /** Fetches page `n` (from 1), keeps its items, and says whether to go on. */
  fetchPage(n: number): Promise<PageOutcome>;
}

export interface PagedOutcome {
  rateLimit?: RateLimit;
  minDelayMs?: number;
  gaps?: string[];
}

/**
 * The paging loop the search sources share: newest page first, then older ones until a page is
 * the last, the page cap is reached (reported as a gap when resuming: the rest of the backlog is
 * skipped), or the rate-limit budget is used up (a gap). The result carries the last budget seen,
 * how long to wait before the next poll (the longer of what a page asked and what a low budget
 * needs) and the gaps, ready to spread into the PollResult.
 */
export async function pageThrough(search: PagedSearch): Promise<PagedOutcome> {
  const { settings } = search;
  const where = search.where ?? '';
  const gaps: string[] = [];
  let resuming = search.resuming;
  let rateLimit: RateLimit | undefined;
  let askedDelay = 0;
  for (let n = 1; ; n++) {
    const page = await search.fetchPage(n);
    rateLimit = page.rateLimit ?? rateLimit;
    if (page.gap) gaps.push(page.gap);
    if (page.minDelayMs !== undefined) askedDelay = Math.max(askedDelay, page.minDelayMs);
    if (page.restart) {
      resuming = false;
      n = 0;
      continue;
    }
    if (page.last) break;
    if (n >= (resuming ? settings.maxPages : 1)) {
      if (resuming) {
        gaps.push(`${search.service}: page cap of ${settings.maxPages} page(s) (${settings.maxPages * settings.pageSize} ${search.noun}) reached${where}; older ${search.noun} since the last poll were skipped`);
      }
      break;
    }
    if (rateLimit?.remaining === 0) {
      gaps.push(`${search.service}: rate-limit budget used up after ${n} page(s)${where}; older ${search.noun} since the last poll were skipped`);
      break;
    }
  }
  const out: PagedOutcome = {};
  if (rateLimit) out.rateLimit = rateLimit;
  const delay = Math.max(askedDelay, lowBudgetDelay(rateLimit, settings.maxPages, search.now) ?? 0);
  if (delay > 0) out.minDelayMs = delay;
  if (gaps.length) out.gaps = gaps;
  return out;
}
