/**
 * Shared API budgets for nodes on one PostgreSQL database: the API apps behind Twitter/X, Reddit,
 * Bluesky and Mastodon sources have one rate limit for every node that uses their credentials,
 * so each poll of such a source first takes a token from the source type's bucket in
 * PostgreSQL (src/store/pg/cluster.ts). The nodes together then stay within the app's limit.
 *
 * A bucket for a limit of L requests per window W holds at most C = L/10 tokens (at least one)
 * and refills at (L − C)/W per second: in any span of length W at most C + (L − C) = L polls pass,
 * however many nodes ask. A poll makes one or a few requests; what the service reports back
 * keeps the bucket honest: a reported remaining budget lower than the bucket's lowers it, and
 * a 429 (or a budget reported as spent) blocks the bucket for everyone until the reset — no node
 * calls again before then.
 *
 * Limits: defaults below (each API's documented app limit for the endpoint earshot uses),
 * overridden per type with EARSHOT_RATE_LIMIT_<TYPE>=<requests>/<window>, e.g. `450/15m`, or
 * `off` to not share a budget for that type.
 */
import { parseDuration } from '../core/duration.js';
import type { BucketSpec, ClusterRepo, TakeResult } from '../store/pg/cluster.js';

export interface RateLimitDefault {
  requests: number;
  windowMs: number;
}

/** Source types with an app-wide API limit. RSS and Hacker News have none to share. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<string, RateLimitDefault>> = {
  // X API v2 recent search, app auth: 450 requests per 15 minutes.
  twitter: { requests: 450, windowMs: 15 * 60_000 },
  // Reddit OAuth: 100 queries per minute per client id.
  reddit: { requests: 100, windowMs: 60_000 },
  // Bluesky AppView: 3,000 requests per 5 minutes.
  bluesky: { requests: 3_000, windowMs: 5 * 60_000 },
  // Mastodon: 300 requests per 5 minutes per account.
  mastodon: { requests: 300, windowMs: 5 * 60_000 },
};

export class RateLimitSettingError extends Error {
  constructor(name: string, value: string) {
    super(`${name}=${value}: expected <requests>/<window> like 450/15m, or "off"`);
    this.name = 'RateLimitSettingError';
  }
}

/** The bucket for a limit: a tenth as burst, the rest spread over the window (see the module comment). */
export function bucketFor(limit: RateLimitDefault): BucketSpec {
  // At least one whole token, or a small limit could never grant a poll; the refill gets the rest.
  const capacity = Math.min(limit.requests, Math.max(1, limit.requests / 10));
  return { capacity, refillPerSecond: (limit.requests - capacity) / (limit.windowMs / 1000) };
}

/** The limits in force: the defaults with EARSHOT_RATE_LIMIT_<TYPE> applied. Throws RateLimitSettingError. */
export function rateLimits(env: Record<string, string | undefined>): Map<string, RateLimitDefault> {
  const limits = new Map(Object.entries(DEFAULT_RATE_LIMITS));
  for (const [name, raw] of Object.entries(env)) {
    const m = /^EARSHOT_RATE_LIMIT_([A-Z0-9_]+)$/.exec(name);
    if (!m || raw === undefined) continue;
    const type = m[1]!.toLowerCase();
    const value = raw.trim();
    if (/^off$/i.test(value)) {
      limits.delete(type);
      continue;
    }
    const parts = /^(\d+)\s*\/\s*(\S+)$/.exec(value);
    const windowMs = parts ? parseDuration(parts[2]!) : null;
    if (!parts || windowMs === null || windowMs <= 0 || Number(parts[1]) <= 0) throw new RateLimitSettingError(name, raw);
    limits.set(type, { requests: Number(parts[1]), windowMs });
  }
  return limits;
}

export interface PollBudget {
  /** Before polling a source of `type`: granted, or how long to wait and why. */
  take(type: string): Promise<TakeResult>;
  /** After a poll: what the service said about the budget. */
  report(type: string, outcome: { remaining?: number | null; resetAt?: string | null; rateLimitedUntil?: string | null }): Promise<void>;
}

/** The shared budgets of a cluster; a type without a limit is always granted. */
export function sharedBudgets(cluster: ClusterRepo, limits: Map<string, RateLimitDefault>): PollBudget {
  const defined = new Map<string, Promise<void>>();
  const key = (type: string) => `api:${type}`;
  const ensure = (type: string): Promise<void> => {
    let done = defined.get(type);
    if (!done) {
      done = cluster.defineBucket(key(type), bucketFor(limits.get(type)!));
      // A failed definition is tried again on the next poll.
      done.catch(() => defined.delete(type));
      defined.set(type, done);
    }
    return done;
  };
  return {
    async take(type) {
      if (!limits.has(type)) return { granted: true, waitMs: 0, blockedReason: null };
      await ensure(type);
      return cluster.take(key(type));
    },
    async report(type, outcome) {
      if (!limits.has(type)) return;
      await ensure(type);
      const blockUntil = outcome.rateLimitedUntil ?? (outcome.remaining === 0 && outcome.resetAt ? outcome.resetAt : null);
      if (blockUntil && Date.parse(blockUntil) > Date.now()) {
        await cluster.block(key(type), blockUntil, outcome.rateLimitedUntil ? 'the service answered 429' : 'the service reported its budget spent');
        return;
      }
      if (typeof outcome.remaining === 'number') await cluster.lowerTo(key(type), outcome.remaining);
    },
  };
}
