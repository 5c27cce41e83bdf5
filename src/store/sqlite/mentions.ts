/** The mentions table on SQLite: insert and dedup, look up, list, count, stream. */
import type { Mention } from '../../core/types.js';
import { planMentionSearch, type MentionSearchPlan } from '../../analyze/query/fts.js';
import { importedFromKey, importSourceKey } from '../history.js';
import { mentionFromRow, type JsonDecoders, type MentionColumns } from '../mention-rows.js';
import type { AlertState, IngestedMention, MentionCandidate, MentionFilter, NewMention } from '../types.js';
import { getMeta, setMeta, stmt, type Db } from './db.js';

type MentionRow = MentionColumns<string, string>;

const SQLITE_JSON: JsonDecoders<string, string> = {
  list: (text) => JSON.parse(text) as string[],
  metrics: (text) => JSON.parse(text) as Record<string, number>,
};

export function rowToMention(row: MentionRow): Mention {
  return mentionFromRow(row, SQLITE_JSON);
}

/** The source-side ids among `sourceIds` already stored for the brand and source type. */
export function knownSourceIds(db: Db, brand: string, source: string, sourceIds: readonly string[]): Set<string> {
  const known = new Set<string>();
  // One indexed lookup per id: cheaper than building an IN list, and the statement is cached.
  const exists = stmt<[string, string, string]>(db, 'SELECT 1 FROM mentions WHERE brand = ? AND source = ? AND source_id = ?');
  for (const id of sourceIds) if (exists.get(brand, source, id) !== undefined) known.add(id);
  return known;
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

/** Inserts a mention; returns its id, or null when (brand, source, source_id) already exists (or the retention trigger ignored it). */
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
  if (result.changes !== 1) return null;
  const id = Number(result.lastInsertRowid);
  // Indexed here, not by a trigger (migration 010): FTS5 keeps the terms of a whole transaction
  // in memory and writes one segment at commit, instead of one per row.
  stmt(db, 'INSERT INTO mentions_fts (rowid, title, text) VALUES (?, ?, ?)').run(id, m.title, m.text);
  return id;
}

/**
 * Stores candidates in order: one whose canonical URL or fingerprint matches an earlier mention
 * of the brand (stored before, or earlier in this batch) is stored as its duplicate.
 */
export function ingestMentions(db: Db, candidates: readonly MentionCandidate[]): IngestedMention[] {
  const run = (): IngestedMention[] =>
    candidates.map((c) => {
      const original = findOriginal(db, c.brand, c.canonicalUrl, c.fingerprint);
      const id = insertMention(db, { ...c, duplicateOf: original, alertState: original !== null ? 'duplicate' : c.alertState });
      return { id, duplicateOf: original };
    });
  // Within a caller's transaction (`earshot import` stores a whole batch in one), that transaction
  // is the unit that commits or rolls back; a savepoint per call would add ~15% to the inserts.
  return db.inTransaction ? run() : db.transaction(run).immediate();
}

/** The mentions with these ids, in the order given. */
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
export function newMentionIds(db: Db, limit: number): number[] {
  return stmt<[number], { id: number }>(db, "SELECT id FROM mentions WHERE alert_state = 'new' ORDER BY id LIMIT ?")
    .all(limit)
    .map((r) => r.id);
}

export function setAlertStates(db: Db, ids: readonly number[], state: AlertState): void {
  const update = stmt(db, 'UPDATE mentions SET alert_state = ? WHERE id = ?');
  const run = () => {
    for (const id of ids) update.run(state, id);
  };
  if (db.inTransaction || ids.length <= 1) run();
  else db.transaction(run).immediate();
}

interface Where {
  sql: string;
  params: Record<string, unknown>;
  /** A search: the FTS5 index narrows to a superset of the matches, and the query matcher decides. */
  search: MentionSearchPlan | undefined;
}

function whereOf(filter: MentionFilter): Where {
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
  return { sql: where.length ? ` WHERE ${where.join(' AND ')}` : '', params, search };
}

export function listMentions(db: Db, filter: MentionFilter = {}): Mention[] {
  const { sql: where, params, search } = whereOf(filter);
  const dir = filter.order === 'asc' ? 'ASC' : 'DESC';
  // With a search, the limit applies to the rows the matcher accepts, so it is counted here.
  const limitInSql = filter.limit && !search;
  const sql = `SELECT m.* FROM mentions m${where} ORDER BY m.published_at ${dir}, m.id ${dir}${limitInSql ? ' LIMIT @limit' : ''}`;
  if (limitInSql) params.limit = filter.limit;
  const statement = stmt<[Record<string, unknown>], MentionRow>(db, sql);
  if (!search) return statement.all(params).map(rowToMention);
  const found: Mention[] = [];
  for (const row of statement.iterate(params)) {
    if (!search.accepts(row.title, row.text)) continue;
    found.push(rowToMention(row));
    if (filter.limit && found.length >= filter.limit) break;
  }
  return found;
}

export function countMentions(db: Db, filter: MentionFilter = {}): number {
  const { sql: where, params, search } = whereOf(filter);
  if (!search) return stmt<[Record<string, unknown>], { n: number }>(db, `SELECT COUNT(*) AS n FROM mentions m${where}`).get(params)?.n ?? 0;
  let n = 0;
  for (const row of stmt<[Record<string, unknown>], { title: string; text: string }>(db, `SELECT m.title, m.text FROM mentions m${where}`).iterate(params)) {
    if (search.accepts(row.title, row.text)) n++;
  }
  return n;
}

/** A page of mentions after (publishedAt, id) in (published_at, id) order: keyset paging for streaming. */
export function mentionsPage(db: Db, filter: MentionFilter, after: { publishedAt: string; id: number } | null, limit: number): Mention[] {
  const { sql: where, params } = whereOf(filter);
  const clauses = [where];
  if (after) {
    clauses.push(`${where ? ' AND' : ' WHERE'} (m.published_at > @afterPublished OR (m.published_at = @afterPublished AND m.id > @afterId))`);
    params.afterPublished = after.publishedAt;
    params.afterId = after.id;
  }
  params.limit = limit;
  return stmt<[Record<string, unknown>], MentionRow>(db, `SELECT m.* FROM mentions m${clauses.join('')} ORDER BY m.published_at, m.id LIMIT @limit`)
    .all(params)
    .map(rowToMention);
}

export function isFirstFromAuthor(db: Db, brand: string, author: string, beforeId: number): boolean {
  return (
    stmt<[string, string, number]>(
      db,
      'SELECT 1 FROM mentions WHERE brand = ? AND author = ? COLLATE NOCASE AND id < ? AND duplicate_of IS NULL LIMIT 1',
    ).get(brand, author, beforeId) === undefined
  );
}

export function lastFetchedAt(db: Db, brand: string, sourceKeys: readonly string[]): string | null {
  if (sourceKeys.length === 0) return null;
  const row = stmt<[string, string], { at: string | null }>(
    db,
    'SELECT MAX(fetched_at) AS at FROM mentions WHERE brand = ? AND source_key IN (SELECT value FROM json_each(?))',
  ).get(brand, JSON.stringify(sourceKeys));
  return row?.at ?? null;
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
