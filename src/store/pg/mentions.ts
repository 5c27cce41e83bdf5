/** The mentions table on PostgreSQL: insert and dedup, look up, list, count, stream. */
import type { Mention, SourceType } from '../../core/types.js';
import { searchDocument, toTsquery } from '../../analyze/query/tsquery.js';
import type { AlertState, IngestedMention, MentionCandidate, MentionFilter, MentionRepo, NewMention } from '../types.js';
import { mentionFromRow, type JsonDecoders, type MentionColumns } from '../mention-rows.js';
import { importedFromKey, importSourceKey } from '../history.js';
import type { Sql } from './sql.js';

export type MentionRow = MentionColumns<string[], Record<string, number>>;

const PG_JSON: JsonDecoders<string[], Record<string, number>> = { list: (v) => v, metrics: (v) => v };

/** Every column but the search vector (large, and nobody reads it back). */
export const MENTION_COLUMNS =
  'id, brand, source, source_key, source_id, url, author, reach, title, text, kind, link_url, language, published_at, ' +
  'fetched_at, matched_terms, sentiment_label, sentiment_score, sentiment_reasons, urgency_level, urgency_score, ' +
  'urgency_reasons, duplicate_of, story_key, metrics, flag_offensive, flag_hate, flag_irony';

export function rowToMention(row: MentionRow): Mention {
  return mentionFromRow(row, PG_JSON);
}

const INSERT = `INSERT INTO mentions (brand, source, source_key, source_id, url, canonical_url, author, reach, title, text, kind,
    link_url, language, published_at, fetched_at, matched_terms, sentiment_label, sentiment_score, sentiment_reasons,
    urgency_level, urgency_score, urgency_reasons, fingerprint, duplicate_of, story_key, metrics, alert_state, search,
    flag_offensive, flag_hate, flag_irony)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28::tsvector,
    $29, $30, $31)
  ON CONFLICT (brand, source, source_id) DO NOTHING RETURNING id`;

function insertParams(m: NewMention): unknown[] {
  return [
    m.brand,
    m.source,
    m.sourceKey,
    m.sourceId,
    m.url,
    m.canonicalUrl,
    m.author,
    m.reach,
    m.title,
    m.text,
    m.kind,
    m.linkUrl,
    m.language,
    m.publishedAt,
    m.fetchedAt,
    JSON.stringify(m.matchedTerms),
    m.sentiment.label,
    m.sentiment.score,
    JSON.stringify(m.sentiment.reasons),
    m.urgency.level,
    m.urgency.score,
    JSON.stringify(m.urgency.reasons),
    m.fingerprint,
    m.duplicateOf,
    m.storyKey,
    JSON.stringify(m.metrics),
    m.alertState,
    searchDocument(m.title, m.text),
    m.flags?.offensive ?? null,
    m.flags?.hate ?? null,
    m.flags?.irony ?? null,
  ];
}

/**
 * One round trip per candidate: the original is looked up (canonical URL first, then
 * fingerprint) and the row inserted as its duplicate, or as itself, in one statement. The
 * parameters are insertParams' with duplicate_of ($24) left out: the statement finds it.
 */
const INGEST_ONE = (() => {
  const columns = INSERT.slice(INSERT.indexOf('(') + 1, INSERT.indexOf(')')).split(',').map((c) => c.trim());
  const casts: Record<string, string> = { search: '::tsvector', matched_terms: '::jsonb', sentiment_reasons: '::jsonb', urgency_reasons: '::jsonb', metrics: '::jsonb' };
  let n = 0;
  const values = columns.map((column) => {
    if (column === 'duplicate_of') return 'o.id';
    const p = `$${++n}`;
    const typed = `${p}${casts[column] ?? ''}`;
    return column === 'alert_state' ? `CASE WHEN o.id IS NULL THEN ${p} ELSE 'duplicate' END` : typed;
  });
  return `WITH o AS (
      SELECT coalesce(
        (SELECT id FROM mentions WHERE $6::text IS NOT NULL AND brand = $1 AND canonical_url = $6 ORDER BY id LIMIT 1),
        (SELECT id FROM mentions WHERE $23::text IS NOT NULL AND brand = $1 AND fingerprint = $23 ORDER BY id LIMIT 1)) AS id
    ), stored AS (
      INSERT INTO mentions (${columns.join(', ')}) SELECT ${values.join(', ')} FROM o
      ON CONFLICT (brand, source, source_id) DO NOTHING RETURNING id
    )
    SELECT (SELECT id FROM stored) AS id, (SELECT id FROM o) AS duplicate_of`;
})();

async function ingestOne(sql: Sql, c: MentionCandidate): Promise<IngestedMention> {
  const params = insertParams({ ...c, duplicateOf: null });
  params.splice(23, 1); // duplicate_of: found by the statement
  const row = await sql.one<{ id: number | null; duplicate_of: number | null }>(INGEST_ONE, params);
  return { id: row?.id ?? null, duplicateOf: row?.duplicate_of ?? null };
}

async function insert(sql: Sql, m: NewMention): Promise<number | null> {
  const row = await sql.one<{ id: number }>(INSERT, insertParams(m));
  return row?.id ?? null;
}

async function findOriginal(sql: Sql, brand: string, canonicalUrl: string | null, fingerprint: string | null): Promise<number | null> {
  if (canonicalUrl) {
    const row = await sql.one<{ id: number }>('SELECT id FROM mentions WHERE brand = $1 AND canonical_url = $2 ORDER BY id LIMIT 1', [brand, canonicalUrl]);
    if (row) return row.id;
  }
  if (fingerprint) {
    const row = await sql.one<{ id: number }>('SELECT id FROM mentions WHERE brand = $1 AND fingerprint = $2 ORDER BY id LIMIT 1', [brand, fingerprint]);
    if (row) return row.id;
  }
  return null;
}

/**
 * Stores candidates in order, each a duplicate of an earlier one with its canonical URL or
 * fingerprint. Nodes ingesting the same brand at once take turns (a transaction-scoped advisory
 * lock per brand): otherwise two nodes storing one story from two sources in the same instant
 * would each miss the other's row and both alert.
 */
async function ingest(sql: Sql, candidates: readonly MentionCandidate[]): Promise<IngestedMention[]> {
  if (candidates.length === 0) return [];
  return sql.atomic(async (tx) => {
    const brands = [...new Set(candidates.map((c) => c.brand))].sort();
    for (const brand of brands) await tx.run("SELECT pg_advisory_xact_lock(hashtext('earshot.ingest:' || $1))", [brand]);
    const out: IngestedMention[] = [];
    for (const c of candidates) out.push(await ingestOne(tx, c));
    return out;
  });
}

interface Where {
  sql: string;
  params: unknown[];
}

function whereOf(filter: MentionFilter, params: unknown[] = []): Where {
  const where: string[] = [];
  const p = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.brand) where.push(`m.brand = ${p(filter.brand)}`);
  if (filter.source) where.push(`m.source = ${p(filter.source)}`);
  if (filter.since) where.push(`m.published_at >= ${p(filter.since)}::timestamptz`);
  if (filter.until) where.push(`m.published_at < ${p(filter.until)}::timestamptz`);
  if (filter.sentiment) where.push(`m.sentiment_label = ${p(filter.sentiment)}`);
  if (!filter.includeDuplicates) where.push('m.duplicate_of IS NULL');
  if (filter.search) where.push(`m.search @@ ${p(toTsquery(filter.search))}::tsquery`);
  return { sql: where.length ? ` WHERE ${where.join(' AND ')}` : '', params };
}

async function list(sql: Sql, filter: MentionFilter = {}): Promise<Mention[]> {
  const { sql: where, params } = whereOf(filter);
  const dir = filter.order === 'asc' ? 'ASC' : 'DESC';
  let text = `SELECT ${MENTION_COLUMNS} FROM mentions m${where} ORDER BY m.published_at ${dir}, m.id ${dir}`;
  if (filter.limit) {
    params.push(filter.limit);
    text += ` LIMIT $${params.length}`;
  }
  return (await sql.rows<MentionRow>(text, params)).map(rowToMention);
}

async function count(sql: Sql, filter: MentionFilter = {}): Promise<number> {
  const { sql: where, params } = whereOf(filter);
  return (await sql.one<{ n: number }>(`SELECT count(*) AS n FROM mentions m${where}`, params))?.n ?? 0;
}

async function page(sql: Sql, filter: MentionFilter, after: { publishedAt: string; id: number } | null, limit: number): Promise<Mention[]> {
  const { sql: where, params } = whereOf(filter);
  let text = `SELECT ${MENTION_COLUMNS} FROM mentions m${where}`;
  if (after) {
    params.push(after.publishedAt, after.id);
    text += `${where ? ' AND' : ' WHERE'} (m.published_at, m.id) > ($${params.length - 1}::timestamptz, $${params.length})`;
  }
  params.push(limit);
  text += ` ORDER BY m.published_at, m.id LIMIT $${params.length}`;
  return (await sql.rows<MentionRow>(text, params)).map(rowToMention);
}

async function* stream(sql: Sql, filter: MentionFilter, pageSize: number): AsyncGenerator<Mention> {
  let after: { publishedAt: string; id: number } | null = null;
  for (;;) {
    const batch: Mention[] = await page(sql, filter, after, pageSize);
    yield* batch;
    if (batch.length < pageSize) return;
    const last = batch[batch.length - 1]!;
    after = { publishedAt: last.publishedAt, id: last.id };
  }
}

export function mentionRepo(sql: Sql): MentionRepo {
  return {
    async knownSourceIds(brand, source: SourceType | string, sourceIds) {
      if (sourceIds.length === 0) return new Set();
      const rows = await sql.rows<{ source_id: string }>(
        'SELECT source_id FROM mentions WHERE brand = $1 AND source = $2 AND source_id = ANY($3::text[])',
        [brand, source, sourceIds],
      );
      return new Set(rows.map((r) => r.source_id));
    },
    findOriginal: (brand, canonicalUrl, fingerprint) => findOriginal(sql, brand, canonicalUrl, fingerprint),
    insert: (m) => insert(sql, m),
    ingest: (candidates) => ingest(sql, candidates),
    async get(ids) {
      if (ids.length === 0) return [];
      const rows = await sql.rows<MentionRow>(`SELECT ${MENTION_COLUMNS} FROM mentions WHERE id = ANY($1::bigint[])`, [ids]);
      const byId = new Map(rows.map((r) => [r.id, rowToMention(r)]));
      return ids.map((id) => byId.get(id)).filter((m): m is Mention => m !== undefined);
    },
    async newIds(limit) {
      return (await sql.rows<{ id: number }>("SELECT id FROM mentions WHERE alert_state = 'new' ORDER BY id LIMIT $1", [limit])).map((r) => r.id);
    },
    async setAlertState(ids, state: AlertState) {
      if (ids.length === 0) return;
      await sql.run('UPDATE mentions SET alert_state = $1 WHERE id = ANY($2::bigint[])', [state, ids]);
    },
    list: (filter) => list(sql, filter),
    count: (filter) => count(sql, filter),
    stream: (filter = {}, pageSize = 1000) => stream(sql, filter, pageSize),
    async isFirstFromAuthor(brand, author, beforeId) {
      const row = await sql.one(
        'SELECT 1 FROM mentions WHERE brand = $1 AND lower(author) = lower($2) AND id < $3 AND duplicate_of IS NULL LIMIT 1',
        [brand, author, beforeId],
      );
      return row === undefined;
    },
    async lastFetchedAt(brand, sourceKeys) {
      if (sourceKeys.length === 0) return null;
      const row = await sql.one<{ at: string | null }>('SELECT max(fetched_at) AS at FROM mentions WHERE brand = $1 AND source_key = ANY($2::text[])', [
        brand,
        sourceKeys,
      ]);
      return row?.at ?? null;
    },
    async countStoredSince(since) {
      const rows = await sql.rows<{ source_key: string; n: number }>(
        'SELECT source_key, count(*) AS n FROM mentions WHERE fetched_at >= $1 GROUP BY source_key',
        [since],
      );
      return new Map(rows.map((r) => [r.source_key, r.n]));
    },
    async hasBrand(brand) {
      return (await sql.one('SELECT 1 AS n FROM mentions WHERE brand = $1 LIMIT 1', [brand])) !== undefined;
    },
    async brands() {
      return (await sql.rows<{ brand: string }>('SELECT brand FROM mentions GROUP BY brand ORDER BY brand COLLATE "C"')).map((r) => r.brand);
    },
    async noteImportedHistory(brand) {
      const row = await sql.one<{ at: string | null }>('SELECT min(published_at) AS at FROM mentions WHERE brand = $1 AND source_key = $2', [
        brand,
        importSourceKey(brand),
      ]);
      if (!row?.at) return;
      await sql.run('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [importedFromKey(brand), row.at]);
    },
    async importedHistoryFrom(brand) {
      return (await sql.one<{ value: string | null }>('SELECT value FROM meta WHERE key = $1', [importedFromKey(brand)]))?.value ?? null;
    },
  };
}

export async function mentionTotal(sql: Sql): Promise<number> {
  return (await sql.one<{ n: number }>('SELECT count(*) AS n FROM mentions'))?.n ?? 0;
}
