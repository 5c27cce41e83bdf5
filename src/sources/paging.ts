/**
 * Limits shared by the paged API sources (Twitter/X, Bluesky, Mastodon): how long a request may
 * take, how big a response may be, how many items per page and how many pages per poll.
 */

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
