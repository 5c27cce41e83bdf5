/**
 * Rate-limit headers shared by the API sources: reading the budget a response reports, and
 * slowing down before it runs out instead of failing mid-poll.
 */
import type { RateLimit } from './types.js';

/** A header holding a whole number, or null when absent or not a number. */
export function numericHeader(value: string | null | undefined): number | null {
  const text = value?.trim();
  return text && /^\d+$/.test(text) ? Number(text) : null;
}

/** The budget from remaining / limit / reset headers, where reset is in epoch seconds (Twitter/X, Bluesky). */
export function rateLimitFromHeaders(
  get: (name: string) => string | null | undefined,
  names: { remaining: string; limit: string; reset: string },
): RateLimit | undefined {
  const remaining = numericHeader(get(names.remaining));
  const limit = numericHeader(get(names.limit));
  const reset = numericHeader(get(names.reset));
  if (remaining === null && limit === null && reset === null) return undefined;
  return { remaining, limit, resetAt: reset === null ? null : new Date(reset * 1000).toISOString() };
}

/**
 * When the window has fewer requests left than one full poll may use (or under 5% of it), wait
 * for the reset instead of running dry mid-poll. Returns the wait in ms, or undefined.
 */
export function lowBudgetDelay(rate: RateLimit | undefined, maxPages: number, now: Date): number | undefined {
  if (!rate || rate.remaining === null || !rate.resetAt) return undefined;
  const threshold = Math.max(maxPages, Math.ceil((rate.limit ?? 0) * 0.05));
  if (rate.remaining > threshold) return undefined;
  const wait = Date.parse(rate.resetAt) - now.getTime();
  return wait > 0 ? wait : undefined;
}
