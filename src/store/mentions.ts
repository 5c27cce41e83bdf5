/** The mentions table: insert, look up, list. */
import type { Mention, SentimentLabel, SourceType, UrgencyLevel } from '../core/types.js';
import { flagsOf } from './mention-flags.js';
import { planMentionSearch } from '../analyze/query/fts.js';
import { getMeta, setMeta, stmt, type Db } from './db.js';

export type AlertState = 'new' | 'evaluated' | 'backfill' | 'duplicate' | 'quiet';

export interface NewMention extends Omit<Mention, 'id'> {
  canonicalUrl: string | null;
  fingerprint: string | null;
  alertState: AlertState;
}

interface MentionRow {
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
  matched_terms: string;
  sentiment_label: string;
  sentiment_score: number;
  sentiment_reasons: string;
  urgency_level: string;
  urgency_score: number;
  urgency_reasons: string;
  duplicate_of: number | null;
  story_key: string | null;
  metrics: string;
  flag_offensive: number | null;
  flag_hate: number | null;
  flag_irony: number | null;
}

export function rowToMention(row: MentionRow): Mention {
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
    matchedTerms: JSON.parse(row.matched_terms) as string[],
    sentiment: {
      label: row.sentiment_label as SentimentLabel,
      score: row.sentiment_score,
      reasons: JSON.parse(row.sentiment_reasons) as string[],
    },
    urgency: {
      level: row.urgency_level as UrgencyLevel,
      score: row.urgency_score,
      reasons: JSON.parse(row.urgency_reasons) as string[],
    },
    duplicateOf: row.duplicate_of,
    storyKey: row.story_key,
    metrics: JSON.parse(row.metrics) as Record<string, number>,
    flags: flagsOf(row),
  };
}

/** True when this source-side id is already stored for the brand and source type. */
export function mentionExists(db: Db, brand: string, source: string, sourceId: string): boolean {
  return (
    stmt<[string, string, string]>(db, 'SELECT 1 FROM mentions WHERE brand = ? AND source = ? AND source_id = ?').get(
      brand,
      source,
      sourceId,
    ) !== undefined
  );
}

/** The earliest stored mention of the brand with the same canonical URL or text fingerprint, if any. */
export function findOriginal(db: Db, brand: string, canonicalUrl: string | null, fingerprint: string | null): number | null {
  if (canonicalUrl) {
    const row = stmt<[string, string], { id: number }>(
      db,
      'SELECT id FROM mentions WHERE brand = ? AND canonical_url = ? ORDER BY id LIMIT 1',
    ).get(brand, canonicalUrl);
    if (row) return row.id;
  }
  if (fingerprint) {
    const row = stmt<[string, string], { id: number }>(
      db,
      'SELECT id FROM mentions WHERE brand = ? AND fingerprint = ? ORDER BY id LIMIT 1',
    ).get(brand, fingerprint);
    if (row) return row.id;
  }
  return null;
}

/** Inserts a mention; returns its id, or null when (brand, source, source_id) already exists. */
export function insertMention(db: Db, m: NewMention): number | null {
  const result = stmt(
    db,
    `INSERT INTO mentions (brand, source, source_key, source_id, url, canonical_url, author, reach, title, text, kind,
       link_url, language, published_at, fetched_at, matched_terms, sentiment_label, sentiment_score, sentiment_reasons,
       urgency_level, urgency_score, urgency_reasons, fingerprint, duplicate_of, story_key, metrics, alert_state,
       flag_offensive, flag_hate, flag_irony)
     VALUES (@brand, @source, @sourceKey, @sourceId, @url, @canonicalUrl, @author, @reach, @title, @text, @kind,
       @linkUrl, @language, @publishedAt, @fetchedAt, @matchedTerms, @sentimentLabel, @sentimentScore, @sentimentReasons,
       @urgencyLevel, @urgencyScore, @urgencyReasons, @fingerprint, @duplicateOf, @storyKey, @metrics, @alertState,
       @flagOffensive, @flagHate, @flagIrony)
     ON CONFLICT (brand, source, source_id) DO NOTHING`,
  ).run({
    brand: m.brand,
    source: m.source,
    sourceKey: m.sourceKey,
    sourceId: m.sourceId,
    url: m.url,
    canonicalUrl: m.canonicalUrl,
    author: m.author,
    reach: m.reach,
    title: m.title,
    text: m.text,
    kind: m.kind,
    linkUrl: m.linkUrl,
    language: m.language,
    publishedAt: m.publishedAt,
    fetchedAt: m.fetchedAt,
    matchedTerms: JSON.stringify(m.matchedTerms),
    sentimentLabel: m.sentiment.label,
    sentimentScore: m.sentiment.score,
    sentimentReasons: JSON.stringify(m.sentiment.reasons),
    urgencyLevel: m.urgency.level,
    urgencyScore: m.urgency.score,
    urgencyReasons: JSON.stringify(m.urgency.reasons),
    fingerprint: m.fingerprint,
    flagOffensive: m.flags?.offensive ?? null,
    flagHate: m.flags?.hate ?? null,
    flagIrony: m.flags?.irony ?? null,
    duplicateOf: m.duplicateOf,
    storyKey: m.storyKey,
    metrics: JSON.stringify(m.metrics),
    alertState: m.alertState,
  });
  return result.changes === 1 ? Number(result.lastInsertRowid) : null;
}

export function getMentions(db: Db, ids: readonly number[]): Mention[] {
  if (ids.length === 0) return [];
  const out: Mention[] = [];
  const get = stmt<[number], MentionRow>(db, 'SELECT * FROM mentions WHERE id = ?');
  for (const id of ids) {
    const row = get.get(id);
    if (row) out.push(rowToMention(row));
  }
  return out;
}

/** Mentions whose rules have not run yet, oldest first. */
export function newMentionIds(db: Db, limit = 10_000): number[] {
  return stmt<[number], { id: number }>(db, "SELECT id FROM mentions WHERE alert_state = 'new' ORDER BY id LIMIT ?")
    .all(limit)
    .map((r) => r.id);
}

export function setAlertState(db: Db, id: number, state: AlertState): void {
  stmt(db, 'UPDATE mentions SET alert_state = ? WHERE id = ?').run(state, id);
}

export interface MentionFilter {
  brand?: string;
  source?: string;
  /** ISO time: published at or after. */
  since?: string;
  until?: string;
  sentiment?: string;
  /**
   * A search in earshot's query language (src/analyze/query): the FTS5 index narrows to a superset
   * of the matches and the query matcher decides (fts.ts). Throws QuerySyntaxError for a bad query.
   */
  search?: string;
  includeDuplicates?: boolean;
  limit?: number;
  /** 'asc' replays in time order; 'desc' lists newest first. */
  order?: 'asc' | 'desc';
}

export function listMentions(db: Db, filter: MentionFilter = {}): Mention[] {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.brand) {
    where.push('m.brand = @brand');
    params.brand = filter.brand;
  }
  if (filter.source) {
    where.push('m.source = @source');
    params.source = filter.source;
  }
  if (filter.since) {
    where.push('m.published_at >= @since');
    params.since = filter.since;
  }
  if (filter.until) {
    where.push('m.published_at < @until');
    params.until = filter.until;
  }
  if (filter.sentiment) {
    where.push('m.sentiment_label = @sentiment');
    params.sentiment = filter.sentiment;
  }
  if (!filter.includeDuplicates) where.push('m.duplicate_of IS NULL');
  const search = filter.search === undefined ? undefined : planMentionSearch(filter.search);
  if (search?.fts5) {
    where.push('m.id IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH @fts5)');
    params.fts5 = search.fts5;
  }
  // With a search, the limit applies to the rows the matcher accepts, so it is counted here.
  const limitInSql = filter.limit && !search;
  const sql =
    'SELECT m.* FROM mentions m' +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY m.published_at ${filter.order === 'asc' ? 'ASC' : 'DESC'}, m.id ${filter.order === 'asc' ? 'ASC' : 'DESC'}` +
    (limitInSql ? ' LIMIT @limit' : '');
  if (limitInSql) params.limit = filter.limit;
  const statement = db.prepare(sql);
  if (!search) return statement.all(params).map((row) => rowToMention(row as MentionRow));
  const found: Mention[] = [];
  for (const row of statement.iterate(params) as IterableIterator<MentionRow>) {
    if (!search.accepts(row.title, row.text)) continue;
    found.push(rowToMention(row));
    if (filter.limit && found.length >= filter.limit) break;
  }
  return found;
}

/** Mentions stored per source key since `since` (for status). */
export function countStoredSince(db: Db, since: string): Map<string, number> {
  const rows = stmt<[string], { source_key: string; n: number }>(
    db,
    'SELECT source_key, COUNT(*) AS n FROM mentions WHERE fetched_at >= ? GROUP BY source_key',
  ).all(since);
  return new Map(rows.map((r) => [r.source_key, r.n]));
}

export function hasMentionsOf(db: Db, brand: string): boolean {
  return stmt<[string], { n: number }>(db, 'SELECT 1 AS n FROM mentions WHERE brand = ? LIMIT 1').get(brand) !== undefined;
}

/** Brands with stored mentions (configured or not any more), sorted. */
export function storedBrands(db: Db): string[] {
  return stmt<[], { brand: string }>(db, 'SELECT DISTINCT brand FROM mentions ORDER BY brand')
    .all()
    .map((r) => r.brand);
}

/** The source key of mentions brought by `earshot import` for a brand. */
export function importSourceKey(brand: string): string {
  return `${brand}/import`;
}

function importedFromKey(brand: string): string {
  return `history.imported_from.${brand}`;
}

/**
 * After an import: the earliest publication time of the brand's imported mentions is kept, so
 * that a spike rule's history counts from it (store/meta, read by the rule engine).
 */
export function noteImportedHistory(db: Db, brand: string): void {
  const row = stmt<[string, string], { at: string | null }>(db, 'SELECT MIN(published_at) AS at FROM mentions WHERE brand = ? AND source_key = ?').get(brand, importSourceKey(brand));
  if (row?.at) setMeta(db, importedFromKey(brand), row.at);
}

/** The earliest imported mention of the brand (ISO), or null. */
export function importedHistoryFrom(db: Db, brand: string): string | null {
  return getMeta(db, importedFromKey(brand));
}
