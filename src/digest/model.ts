/**
 * What a digest says, independent of how it is rendered (plain text, HTML). Built from the store
 * by build.ts; rendered by render-text.ts and render-html.ts.
 */
import type { Mention } from '../core/types.js';
import type { Period } from './period.js';

export interface SentimentMix {
  negative: number;
  neutral: number;
  positive: number;
  /** Texts in languages the analyzer does not score. */
  unknown: number;
}

export interface VolumeBucket {
  start: Date;
  count: number;
  /** The bucket's mentions by sentiment (the web dashboard stacks them). */
  sentiment: SentimentMix;
}

export interface TopAuthor {
  name: string;
  source: string;
  mentions: number;
  reach: number | null;
}

export interface DigestMention {
  mention: Mention;
  /** Why it is listed, e.g. ['negative', 'question to @acmecloud', 'high urgency']. */
  why: string[];
}

export interface NewVoice {
  /** An author handle, or a site's host name when the source gives no author (feeds). */
  name: string;
  kind: 'author' | 'site';
  source: string;
  reach: number | null;
  mentions: number;
}

export interface Phrase {
  phrase: string;
  /** Mentions the phrase appears in. */
  mentions: number;
}

export interface AlertSent {
  at: string;
  rule: string;
  summary: string;
  mentions: number;
  /** 'slack #brand-alerts', 'email pr@example.com' for each delivery that went out. */
  destinations: string[];
}

/**
 * Why something did not reach anyone, or not at once. Each kind comes from one collector in
 * held-back.ts; later features (alert budgets, quiet hours) add a kind and a collector.
 */
export type HeldBackKind =
  | 'throttled'
  | 'waiting'
  | 'delivery_failed'
  | 'delivery_retrying'
  | 'delivery_skipped'
  | 'delivery_suppressed'
  | 'delivery_held'
  | 'backfill'
  | 'duplicate'
  | 'quiet_import';

export interface HeldBack {
  kind: HeldBackKind;
  /** How many mentions (or deliveries, for delivery kinds) this line stands for. */
  count: number;
  /** One plain-text sentence saying what happened and why. */
  text: string;
}

export interface SourceHealth {
  sourceKey: string;
  /** 'failing', 'rate_limited', 'gaps', 'not_polled', 'not_configured', 'disabled' or 'ok'. */
  status: 'ok' | 'failing' | 'rate_limited' | 'gaps' | 'not_polled' | 'not_configured' | 'disabled';
  polls: number;
  errors: number;
  rateLimited: number;
  gaps: number;
  /** One plain-text line for the reader; '' for ok. */
  detail: string;
}

export interface BrandDigest {
  brand: string;
  name: string;
  total: number;
  previousTotal: number;
  sentiment: SentimentMix;
  bySource: Array<{ source: string; count: number }>;
  volume: VolumeBucket[];
  /** Bucket size of `volume`. */
  bucketMs: number;
  needsReply: DigestMention[];
  needsReplyTotal: number;
  topByReach: DigestMention[];
  newVoices: NewVoice[];
  newVoicesTotal: number;
  /** Authors with the most mentions in the period. */
  topAuthors: TopAuthor[];
  phrases: Phrase[];
  /**
   * When phrases were found in a sample of the period's mentions (a busy period), its size and
   * the period's total: Phrase.mentions then counts within the sample. Null when every mention was read.
   */
  phrasesSample: { mentions: number; of: number } | null;
  alerts: AlertSent[];
  heldBack: HeldBack[];
  health: SourceHealth[];
}

export interface DigestModel {
  name: string;
  timezone: string;
  period: Period;
  previous: Period;
  kind: 'scheduled' | 'day';
  generatedAt: Date;
  brands: BrandDigest[];
  /** No brand had a mention in the period. */
  quiet: boolean;
  /** No source of the deployment had been polled when the period ended (a new deployment). */
  beforeFirstPoll: boolean;
}

export const SENTIMENT_ORDER: ReadonlyArray<keyof SentimentMix> = ['negative', 'neutral', 'positive', 'unknown'];

export function emptyMix(): SentimentMix {
  return { negative: 0, neutral: 0, positive: 0, unknown: 0 };
}

/** Source problems a reader must know about (a gap in coverage is never silent). */
export function healthProblems(brand: BrandDigest): SourceHealth[] {
  return brand.health.filter((h) => h.status !== 'ok' && h.status !== 'disabled');
}

/** True when the digest has nothing at all to say: no mentions, no source problems, nothing held back. */
export function nothingToReport(model: DigestModel): boolean {
  return model.quiet && model.brands.every((b) => healthProblems(b).length === 0 && b.heldBack.length === 0 && b.alerts.length === 0);
}
