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

/** Moderation and irony scores in [0, 1]; a flag is raised at 0.5 or more (SPEC "Analysis flags"). */
export interface Flags {
  offensive: number;
  hate: number;
  irony: number;
}

export const FLAG_NAMES = ['offensive', 'hate', 'irony'] as const;
export type FlagName = (typeof FLAG_NAMES)[number];
/** A flag is raised at this score or more. */
export const FLAG_THRESHOLD = 0.5;

export interface Analysis {
  sentiment: Sentiment;
  urgency: Urgency;
  /** Detected language code ('en', 'de'...), or null when too short or unclear to say. */
  language: string | null;
  /** Moderation and irony scores; 0 for text in a language the models are not trained for. */
  flags: Flags;
  /**
   * Probability that the mention is irrelevant to the brand, learned from the team's
   * "not relevant" corrections; present only when the brand's adaptation has such examples.
   */
  irrelevant?: number;
}

/**
 * What a brand's team taught the analyzer (src/analyze/adapt): small corrections on top of the
 * shared models, learned from labelled mentions. Plain JSON, so any store can keep it; dropping
 * it gives the shared model's results again.
 */
export interface BrandAdaptation {
  format: 'earshot-adaptation';
  version: 1;
  /** Corrections it was learned from, per corrected label. */
  examples: { negative: number; neutral: number; positive: number; irrelevant: number };
  /** Mentions the team read and left as they were (confirmations), also learned from; absent when none. */
  confirmed?: number;
  /** ISO time it was learned. */
  learnedAt: string;
  /** Added to the sentiment logits (negative, neutral, positive). */
  bias: [number, number, number];
  /** A text the shared analyzer calls negative stays negative unless the adaptation brings P(negative) below this (absent: 0). */
  keepNegative?: number;
  /**
   * Per-brand recalibration of the shared models' signals: input name (the general sentiment's
   * logits, the complaint and irony margins, "addressed to the brand"...) -> logit corrections
   * (negative, neutral, positive) per unit of that input.
   */
  inputs: Record<string, [number, number, number]>;
  /** Hashed word and word-pair features -> logit corrections (negative, neutral, positive); keys are bucket ids. */
  weights: Record<string, [number, number, number]>;
  /** "Not relevant" model: bias and feature weights of the irrelevant-vs-relevant logit; null without enough such examples. */
  relevance: { bias: number; weights: Record<string, number> } | null;
  /** The words it learned most about, strongest first, for people (`earshot learn` prints them). */
  top: { words: string; label: 'negative' | 'neutral' | 'positive' | 'irrelevant'; weight: number }[];
  /**
   * The check on the brand's own examples before applying (held out in time order): how many,
   * how many the shared model and the adaptation got right, and the strength applied (1 = all
   * of it, 0 = none: it did not help). Absent when there was nothing to check against.
   */
  check?: { heldOut: number; sharedRight: number; adaptedRight: number; strength: number };
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
  /** Corrections learned from the team's labels (learnAdaptation in src/analyze/adapt); omitted = the shared model alone. */
  adaptation?: BrandAdaptation | null;
}

export interface AnalyzeInput {
  title?: string;
  text: string;
  reach?: number | null;
  brand?: BrandContext;
  /** Engagement figures, for urgency (velocity). */
  metrics?: Record<string, number>;
  /** The mention is a reply or a comment (context for the brand layer); a text starting with @name counts as one too. */
  reply?: boolean;
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
  /**
   * Moderation and irony scores (Analysis.flags). Null (or absent) for mentions stored before
   * the analyzer had flags: unknown, not zero (they are not recomputed: the analyzer is not part
   * of reading the store, and old mentions are past alerting).
   */
  flags?: Flags | null;
}
