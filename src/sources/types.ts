/**
 * The Source interface. Each source type lives in its own folder (`src/sources/<type>/`) with a
 * `manifest.ts` that says everything the rest of earshot needs to know about it (type, label,
 * settings schema, interval, credentials, documentation) and loads the polling code on first
 * use; `registry.ts` lists the manifests. Nothing else in earshot knows about a source's API.
 *
 * A poll is incremental and polite: the source receives the persisted state of its last
 * successful poll (ETag, Last-Modified, a since-id cursor), returns only what it fetched plus the
 * new state, and reports rate-limit budget. The pipeline does matching, dedup, analysis and
 * storage; a source only fetches and maps.
 */
import type { z } from 'zod';
import type { Logger } from '../core/log.js';
import type { EnvDoc } from '../core/plugin.js';
import type { FetchedItem, SourceType } from '../core/types.js';

/** What a source persists between polls (per configured source). */
export interface PollCursor {
  etag: string | null;
  lastModified: string | null;
  /** Source-defined resume point: a since_id, a created_at_i, a Reddit fullname... */
  cursor: string | null;
}

export interface RateLimit {
  /** Requests left in the current window, when the API says. */
  remaining: number | null;
  limit: number | null;
  /** When the window resets, ISO 8601 UTC. */
  resetAt: string | null;
}

export interface PollResult {
  items: FetchedItem[];
  /** State to persist after this successful poll; omitted fields keep their previous value. */
  cursor: Partial<PollCursor>;
  /** The server said nothing changed (HTTP 304): no work was done. */
  notModified?: boolean;
  rateLimit?: RateLimit;
  /** Ask the scheduler not to poll again before this many ms (budget running low, Retry-After). */
  minDelayMs?: number;
  /** Coverage gaps the user must know about, e.g. 'page cap of 5 reached; older results skipped'. */
  gaps?: string[];
}

export interface SourceContext<C> {
  /** Stable key of this configured source, e.g. 'acme/rss' or 'acme/rss#2'. */
  key: string;
  brand: string;
  config: C;
  cursor: PollCursor;
  /** Environment (process.env merged with .env), for credentials and endpoint overrides. */
  env: Record<string, string | undefined>;
  log: Logger;
  /** Aborted when the daemon stops or the poll times out. */
  signal: AbortSignal;
  now: () => Date;
}

/** Classes of failure, so the scheduler can back off, pause, or retry appropriately. */
export type SourceErrorKind =
  | 'auth' // 401/403, bad or missing credentials: paused until config/env changes
  | 'rate_limit' // 429: wait until the window resets
  | 'not_found' // 404: the feed/subreddit does not exist
  | 'server' // 5xx
  | 'network' // connection refused, DNS, reset
  | 'timeout'
  | 'too_large' // response bigger than the size cap
  | 'parse' // not a feed / invalid JSON / HTML error page
  | 'config'; // missing credentials, invalid source settings

/**
 * A failed poll. `message` names the source and says what to do, e.g.
 * 'https://example.com/feed: HTTP 404 Not Found; check the url in sources/acme.yaml'.
 * It never contains a secret.
 */
export class SourceError extends Error {
  readonly kind: SourceErrorKind;
  /** Do not poll again before this many ms (Retry-After, rate-limit reset). */
  readonly retryAfterMs: number | undefined;
  constructor(kind: SourceErrorKind, message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SourceError';
    this.kind = kind;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * A source type as the registry knows it, without its polling code. Imported by the registry
 * (and so by `earshot check`) and by the plugin itself: it must stay cheap to import (no HTTP
 * client, no payload schemas, no parser).
 */
export interface SourceManifest<C = Record<string, unknown>> {
  type: SourceType;
  /** One line for help text and `earshot init`. */
  description: string;
  /** How an alert names the source in a sentence: 'a feed', 'Reddit', 'Twitter/X'. */
  label: string;
  /** How lists name it (help text): 'RSS/Atom/JSON feeds', 'Reddit'. */
  name: string;
  /** What a mention's `reach` counts here: 'followers', 'karma', 'points'. */
  reachUnit: string;
  /** The settings schema, built on first use: a deployment validates only the types it uses. */
  schema: () => z.ZodType<C>;
  /** Default poll interval in ms when `every` is not given. */
  defaultEveryMs: number;
  /** Environment variables a configured source needs; missing ones are reported by `earshot check` and the source is skipped. */
  requiredEnv: (config: C) => string[];
  /** Its lines in .env.example (credentials, endpoint overrides); null when it reads none. */
  env: EnvDoc | null;
  /** Its entry in the `sources:` list `earshot init` writes: comment lines, then YAML, indented two spaces. */
  example: string;
  /** The plugin with its polling code. */
  load: () => Promise<SourcePlugin<C>>;
}

/** The fields of a SourcePlugin that come from its manifest: a plugin adds only `poll`. */
export function manifestFields<C>(manifest: SourceManifest<C>): Omit<SourcePlugin<C>, 'poll'> {
  return {
    type: manifest.type,
    description: manifest.description,
    schema: manifest.schema(),
    defaultEveryMs: manifest.defaultEveryMs,
    requiredEnv: manifest.requiredEnv,
  };
}

/**
 * A source type with its polling code. `schema` validates the type-specific fields of one `sources:` entry in
 * sources/*.yaml (strict: unknown keys rejected); the common fields (`type`, `every`,
 * `alert_backfill`, `id`) are added by the config loader.
 */
export interface SourcePlugin<C = Record<string, unknown>> {
  type: SourceType;
  /** One line for help text and `earshot init`. */
  description: string;
  schema: z.ZodType<C>;
  /** Default poll interval in ms when `every` is not given. */
  defaultEveryMs: number;
  /** Environment variables this source needs; missing ones are reported by `earshot check` and the source is skipped. */
  requiredEnv: (config: C) => string[];
  poll(ctx: SourceContext<C>): Promise<PollResult>;
  /**
   * `earshot check --online`: are this source's credentials accepted? One cheap call (a token
   * request, a session), nothing stored. Optional: a source that needs no credentials has none.
   */
  verify?(ctx: VerifyContext<C>): Promise<SourceVerifyResult>;
}

export type VerifyContext<C> = Omit<SourceContext<C>, 'cursor'>;

export interface SourceVerifyResult {
  status: 'ok' | 'failed' | 'unchecked';
  /** What was found, and for a failure what to do. Never a secret. */
  message: string;
}
