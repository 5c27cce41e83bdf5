/**
 * A mentions row as both backends return it, and its one mapping to the Store's Mention. The
 * JSON columns are the only difference: SQLite returns their text, PostgreSQL (jsonb) the parsed
 * value, so the row is generic over them and each store passes its decoder.
 */
import type { Mention, SentimentLabel, SourceType, UrgencyLevel } from '../core/types.js';
import { flagsOf, type FlagColumns } from './mention-flags.js';

export interface MentionColumns<List, Metrics> extends FlagColumns {
  id: number;
  brand: string;
  source: string;
  source_key: string;
  source_id: string;
  url: string | null;
  author: string | null;
  reach: number | null;
  title: string;
  text: string;
  kind: string | null;
  link_url: string | null;
  language: string | null;
  published_at: string;
  fetched_at: string;
  matched_terms: List;
  sentiment_label: string;
  sentiment_score: number;
  sentiment_reasons: List;
  urgency_level: string;
  urgency_score: number;
  urgency_reasons: List;
  duplicate_of: number | null;
  story_key: string | null;
  metrics: Metrics;
}

export interface JsonDecoders<List, Metrics> {
  list(value: List): string[];
  metrics(value: Metrics): Record<string, number>;
}

export function mentionFromRow<List, Metrics>(row: MentionColumns<List, Metrics>, json: JsonDecoders<List, Metrics>): Mention {
  return {
    id: row.id,
    brand: row.brand,
    source: row.source as SourceType,
    sourceKey: row.source_key,
    sourceId: row.source_id,
    url: row.url,
    author: row.author,
    reach: row.reach,
    title: row.title,
    text: row.text,
    kind: row.kind,
    linkUrl: row.link_url,
    language: row.language,
    publishedAt: row.published_at,
    fetchedAt: row.fetched_at,
    matchedTerms: json.list(row.matched_terms),
    sentiment: { label: row.sentiment_label as SentimentLabel, score: row.sentiment_score, reasons: json.list(row.sentiment_reasons) },
    urgency: { level: row.urgency_level as UrgencyLevel, score: row.urgency_score, reasons: json.list(row.urgency_reasons) },
    duplicateOf: row.duplicate_of,
    storyKey: row.story_key,
    metrics: json.metrics(row.metrics),
    flags: flagsOf(row),
  };
}
