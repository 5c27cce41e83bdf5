/**
 * earshot's own shapes, shared by sources, the analyzer, the store, rules and notifiers.
 * Foreign payloads (feeds, Reddit, Twitter/X JSON...) are mapped into these at the edge by
 * each source's zod schemas; nothing past a source sees a foreign shape.
 *
 * Times are ISO 8601 strings in UTC ("2026-11-23T08:00:00.000Z") everywhere inside earshot.
 */

/**
 * A source type ('rss', 'reddit', ...). The list is the source registry's
 * (`SOURCE_TYPES` in src/sources/registry.ts), which core cannot import: layers point down.
 */
export type SourceType = string;

export const SENTIMENT_LABELS = ['negative', 'neutral', 'positive'] as const;
/** `unknown`: the text is in a language the analyzer is not trained for; it does not guess. */
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number] | 'unknown';

export const URGENCY_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type UrgencyLevel = (typeof URGENCY_LEVELS)[number];

/** One item as a source yields it: already in earshot's shape, not yet matched or analyzed. */
export interface FetchedItem {
  /** Stable source-side id: feed guid, tweet id, Reddit fullname (t3_abc), HN objectID... */
  sourceId: string;
  /** Canonical link to the item, when it has one. */
  url: string | null;
  /** Display name or handle of the author, when known. */
  author: string | null;
  /** Followers (Twitter/X, Bluesky, Mastodon), karma (Reddit) or points (HN), when given. */
  reach: number | null;
  /** Title, or '' when the item has none (tweets). Plain text. */
  title: string;
  /** Body as plain text: HTML stripped, entities decoded, whitespace collapsed. */
  text: string;
  /** Publication time, ISO 8601 UTC; null when the source gives none (the store uses fetch time). */
  published: string | null;
  /** BCP-47-ish language code when the source says, e.g. 'en'. */
  language?: string | null;
  /** 'post', 'comment', 'article', 'story'... free-form, for display and rules. */
  kind?: string;
  /** A link the item is about (a Reddit link post's target, an HN story's URL): ties one story across sources. */
  linkUrl?: string | null;
  /** Engagement figures the source gives (likes, retweets, comments, points...). */
  metrics?: Record<string, number>;
}

export interface Sentiment {
  label: SentimentLabel;
  /** -1 (most negative) .. 1 (most positive). */
  score: number;
  /** Words and signals that weighed most, most important first, e.g. 'never using you again', 'negation: "not good"'. */
  reasons: string[];
}

export interface Urgency {
  level: UrgencyLevel;
  /** 0 .. 1 */
  score: number;
  reasons: string[];
}

export interface Analysis {
  sentiment: Sentiment;
  urgency: Urgency;
  /** Detected language code ('en', 'de'...), or null when too short or unclear to say. */
  language: string | null;
}

/** What a brand tells the analyzer about itself. */
export interface BrandContext {
  /** Display name, e.g. "Acme Cloud". */
  name: string;
  /** Handles of the brand itself (without @), e.g. ['acmecloud']: a question addressed to them needs a reply. */
  handles: string[];
  /**
   * Words whose meaning differs for this brand: weight in [-1, 1] replaces the lexicon's
   * (e.g. { sick: 0.6 } for a skateboard brand, { crash: 0 } for a product named Crash).
   */
  vocabulary?: Record<string, number>;
}

export interface AnalyzeInput {
  title?: string;
  text: string;
  reach?: number | null;
  brand?: BrandContext;
  /** Engagement figures, for urgency (velocity). */
  metrics?: Record<string, number>;
}

/** The analyzer interface: a better model replaces the implementation, not the callers. */
export interface Analyzer {
  analyze(input: AnalyzeInput): Analysis;
}

/** A stored mention. */
export interface Mention {
  id: number;
  brand: string;
  source: SourceType;
  /** Which configured source fetched it, e.g. 'acme/rss' or 'acme/rss#2'. */
  sourceKey: string;
  sourceId: string;
  url: string | null;
  author: string | null;
  reach: number | null;
  title: string;
  text: string;
  kind: string | null;
  linkUrl: string | null;
  language: string | null;
  publishedAt: string;
  fetchedAt: string;
  matchedTerms: string[];
  sentiment: Sentiment;
  urgency: Urgency;
  /** Set when this mention repeats an earlier one (same URL or near-identical text): stored, never alerted. */
  duplicateOf: number | null;
  /** Groups mentions about one story (the same linked URL) across sources. */
  storyKey: string | null;
  metrics: Record<string, number>;
}
