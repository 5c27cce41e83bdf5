/**
 * The triage store on SQLite (the contract and its conventions are in triage-types.ts).
 *
 * Inbox paging is keyset paging on (published_at, id), newest first: a page costs the same at
 * the millionth mention as at the first. Open mentions are listed through mentions_published;
 * other statuses and assignees through partial indexes that new (open, unassigned) mentions never
 * enter, so ingest does not pay for triage.
 */
import { planMentionSearch, type MentionSearchPlan } from '../../analyze/query/fts.js';
import type { Sentiment, SentimentLabel } from '../../core/types.js';
import { stmt, type Db } from './db.js';
import { rowToMention } from './mentions.js';
import type {
  AlertForMention,
  InboxFilter,
  InboxPage,
  Mutation,
  MutationMeta,
  MutationResult,
  ResponseStats,
  SavedView,
  SentimentCorrection,
  StatePatch,
  TriagedMention,
  TriageEvent,
  TriageState,
  TriageStatus,
  TriageStore,
  UiSession,
} from '../triage-types.js';
import { decodeCursor, encodeCursor } from '../triage-cursor.js';

export { CursorError, decodeCursor, encodeCursor } from '../triage-cursor.js';

type Row = Parameters<typeof rowToMention>[0] & {
  status: string;
  status_at: string | null;
  snoozed_until: string | null;
  assignee: string | null;
  tags: string | null;
  corrected_from: string | null;
};

const SELECT_TRIAGED = `SELECT m.*,
  (SELECT json_group_array(tag) FROM (SELECT tag FROM mention_tags t WHERE t.mention_id = m.id ORDER BY tag)) AS tags,
  (SELECT analyzer_label FROM sentiment_corrections c WHERE c.mention_id = m.id) AS corrected_from
  FROM mentions m`;

function toTriaged(row: Row): TriagedMention {
  return {
    ...rowToMention(row),
    status: row.status as TriageStatus,
    statusAt: row.status_at,
    snoozedUntil: row.snoozed_until,
    assignee: row.assignee,
    tags: row.tags ? (JSON.parse(row.tags) as string[]) : [],
    sentimentCorrectedFrom: (row.corrected_from as SentimentLabel | null) ?? null,
  };
}

interface EventRow {
  id: number;
  mention_id: number;
  at: string;
  actor_kind: string;
  actor_id: string;
  actor_name: string;
  action: string;
  value: string | null;
  before: string | null;
  after: string | null;
  batch: string | null;
  undoes: number | null;
  undone_by: number | null;
}

function toEvent(r: EventRow): TriageEvent {
  return {
    id: r.id,
    mentionId: r.mention_id,
    at: r.at,
    actor: { kind: r.actor_kind as TriageEvent['actor']['kind'], id: r.actor_id, name: r.actor_name },
    action: r.action,
    value: r.value,
    before: r.before ? (JSON.parse(r.before) as StatePatch) : null,
    after: r.after ? (JSON.parse(r.after) as StatePatch) : null,
    batch: r.batch,
    undoes: r.undoes,
    undoneBy: r.undone_by,
  };
}

interface Where {
  sql: string[];
  params: Record<string, unknown>;
  join: string;
  /** A search: FTS5 narrows (in sql), the query language's matcher decides (after). */
  search: MentionSearchPlan | null;
}

function inList(where: Where, column: string, name: string, values: readonly string[]): void {
  if (values.length === 1) {
    where.sql.push(`${column} = @${name}0`);
  } else {
    where.sql.push(`${column} IN (${values.map((_, i) => `@${name}${i}`).join(', ')})`);
  }
  values.forEach((v, i) => (where.params[`${name}${i}`] = v));
}

function buildWhere(filter: InboxFilter): Where {
  const where: Where = { sql: [], params: {}, join: '', search: null };
  if (filter.brand?.length) inList(where, 'm.brand', 'brand', filter.brand);
  if (filter.source?.length) inList(where, 'm.source', 'source', filter.source);
  if (filter.status?.length) {
    inList(where, 'm.status', 'status', filter.status);
    // Written out so SQLite sees which partial index applies (mentions_triaged, mentions_open).
    if (!filter.status.includes('open')) where.sql.push("m.status <> 'open'");
    else if (filter.status.length === 1 && !filter.includeDuplicates) where.sql.push("m.status = 'open'");
  }
  for (const flag of filter.flags ?? []) where.sql.push(`m.flag_${flag} >= 0.5`);
  if (filter.sentiment?.length) inList(where, 'm.sentiment_label', 'sentiment', filter.sentiment);
  if (filter.urgency?.length) inList(where, 'm.urgency_level', 'urgency', filter.urgency);
  if (filter.language?.length) inList(where, 'm.language', 'language', filter.language);
  if (filter.reachAtLeast !== undefined) {
    where.sql.push('m.reach >= @reach');
    where.params.reach = filter.reachAtLeast;
  }
  if (filter.assignee) {
    where.sql.push('m.assignee = @assignee');
    where.params.assignee = filter.assignee;
  }
  if (filter.story) {
    where.sql.push('m.story_key = @story');
    where.params.story = filter.story;
  }
  if (filter.tag) {
    where.join = ' JOIN mention_tags tf ON tf.mention_id = m.id AND tf.tag = @tag';
    where.params.tag = filter.tag;
  }
  if (filter.since) {
    where.sql.push('m.published_at >= @since');
    where.params.since = filter.since;
  }
  if (filter.until) {
    where.sql.push('m.published_at < @until');
    where.params.until = filter.until;
  }
  if (!filter.includeDuplicates) where.sql.push('m.duplicate_of IS NULL');
  if (filter.q) {
    where.search = planMentionSearch(filter.q);
    if (where.search.fts5) {
      where.sql.push('m.id IN (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH @fts5)');
      where.params.fts5 = where.search.fts5;
    }
  }
  return where;
}

function whereClause(where: Where): string {
  return where.sql.length ? ` WHERE ${where.sql.join(' AND ')}` : '';
}

interface StateRow {
  status: string;
  status_at: string | null;
  snoozed_until: string | null;
  assignee: string | null;
  sentiment_label: string;
  sentiment_score: number;
  sentiment_reasons: string;
}

/** A search with at least this many FTS5 matches is "common" (see searchIds). */
const SEARCH_DENSE = 5_000;
const SEARCH_SCAN_CAP = 20_000;

const BACKLOG_BUCKETS: Array<{ label: string; ms: number }> = [
  { label: 'under 1 hour', ms: 3_600_000 },
  { label: '1 to 24 hours', ms: 86_400_000 },
  { label: '1 to 7 days', ms: 7 * 86_400_000 },
  { label: '7 to 30 days', ms: 30 * 86_400_000 },
];

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index]!;
}

export interface SqliteTriageOptions {
  /** Tests lower these to reach every search path with a few rows. */
  searchDense?: number;
  searchScanCap?: number;
}

export class SqliteTriageStore implements TriageStore {
  private readonly searchDense: number;
  private readonly searchScanCap: number;

  constructor(
    private readonly db: Db,
    options: SqliteTriageOptions = {},
  ) {
    this.searchDense = options.searchDense ?? SEARCH_DENSE;
    this.searchScanCap = options.searchScanCap ?? SEARCH_SCAN_CAP;
  }

  private readState(id: number): TriageState | null {
    const row = stmt<[number], StateRow>(
      this.db,
      'SELECT status, status_at, snoozed_until, assignee, sentiment_label, sentiment_score, sentiment_reasons FROM mentions WHERE id = ?',
    ).get(id);
    if (!row) return null;
    const tags = stmt<[number], { tag: string }>(this.db, 'SELECT tag FROM mention_tags WHERE mention_id = ? ORDER BY tag')
      .all(id)
      .map((r) => r.tag);
    return {
      status: row.status as TriageStatus,
      statusAt: row.status_at,
      snoozedUntil: row.snoozed_until,
      assignee: row.assignee,
      tags,
      sentiment: { label: row.sentiment_label as SentimentLabel, score: row.sentiment_score, reasons: JSON.parse(row.sentiment_reasons) as string[] },
    };
  }

  private getSync(id: number): TriagedMention | null {
    const row = stmt<[number], Row>(this.db, `${SELECT_TRIAGED} WHERE m.id = ?`).get(id);
    return row ? toTriaged(row) : null;
  }

  async getMention(id: number): Promise<TriagedMention | null> {
    return this.getSync(id);
  }

  async getMentions(ids: readonly number[]): Promise<TriagedMention[]> {
    const out: TriagedMention[] = [];
    for (const id of ids) {
      const m = this.getSync(id);
      if (m) out.push(m);
    }
    return out;
  }

  private writeSentiment(id: number, sentiment: Sentiment, meta: MutationMeta): void {
    const db = this.db;
    const existing = stmt<[number], { analyzer_label: string }>(db, 'SELECT analyzer_label FROM sentiment_corrections WHERE mention_id = ?').get(id);
    if (!existing) {
      // The first correction keeps what the analyzer said, with the text, as a labelled example.
      stmt(
        db,
        `INSERT INTO sentiment_corrections (mention_id, brand, source, title, text, language, analyzer_label, analyzer_score,
           analyzer_reasons, label, actor_name, at)
         SELECT id, brand, source, title, text, language, sentiment_label, sentiment_score, sentiment_reasons, @label, @actor, @at
         FROM mentions WHERE id = @id`,
      ).run({ id, label: sentiment.label, actor: meta.actor.name, at: meta.at });
    } else if (existing.analyzer_label === sentiment.label) {
      stmt(db, 'DELETE FROM sentiment_corrections WHERE mention_id = ?').run(id);
    } else {
      stmt(db, 'UPDATE sentiment_corrections SET label = ?, actor_name = ?, at = ? WHERE mention_id = ?').run(sentiment.label, meta.actor.name, meta.at, id);
    }
    stmt(db, 'UPDATE mentions SET sentiment_label = ?, sentiment_score = ?, sentiment_reasons = ? WHERE id = ?').run(
      sentiment.label,
      sentiment.score,
      JSON.stringify(sentiment.reasons),
      id,
    );
  }

  private applySet(id: number, set: StatePatch, meta: MutationMeta): void {
    const db = this.db;
    const columns: Array<[string, unknown]> = [];
    if (set.status !== undefined) columns.push(['status', set.status]);
    if (set.statusAt !== undefined) columns.push(['status_at', set.statusAt]);
    if (set.snoozedUntil !== undefined) columns.push(['snoozed_until', set.snoozedUntil]);
    if (set.assignee !== undefined) columns.push(['assignee', set.assignee]);
    if (columns.length) {
      stmt(db, `UPDATE mentions SET ${columns.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ?`).run(...columns.map(([, v]) => v), id);
    }
    for (const tag of set.tagsAdded ?? []) stmt(db, 'INSERT INTO mention_tags (mention_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING').run(id, tag);
    for (const tag of set.tagsRemoved ?? []) stmt(db, 'DELETE FROM mention_tags WHERE mention_id = ? AND tag = ?').run(id, tag);
    if (set.sentiment) this.writeSentiment(id, set.sentiment, meta);
  }

  private insertEvent(id: number, mutation: Mutation, meta: MutationMeta): number {
    const result = stmt(
      this.db,
      `INSERT INTO mention_events (mention_id, at, actor_kind, actor_id, actor_name, action, value, before, after, batch, undoes)
       VALUES (@id, @at, @kind, @actorId, @actorName, @action, @value, @before, @after, @batch, @undoes)`,
    ).run({
      id,
      at: meta.at,
      kind: meta.actor.kind,
      actorId: meta.actor.id,
      actorName: meta.actor.name,
      action: mutation.action,
      value: mutation.value,
      before: mutation.before ? JSON.stringify(mutation.before) : null,
      after: mutation.after ? JSON.stringify(mutation.after) : null,
      batch: meta.batch ?? null,
      undoes: mutation.undoes ?? null,
    });
    const eventId = Number(result.lastInsertRowid);
    if (mutation.undoes !== undefined) stmt(this.db, 'UPDATE mention_events SET undone_by = ? WHERE id = ?').run(eventId, mutation.undoes);
    return eventId;
  }

  async mutate(mentionId: number, decide: (state: TriageState) => Mutation | null, meta: MutationMeta): Promise<MutationResult | null> {
    const run = this.db.transaction((): MutationResult | null => {
      const state = this.readState(mentionId);
      if (!state) return null;
      const mutation = decide(state);
      if (!mutation) return { mention: this.getSync(mentionId)!, event: null };
      this.applySet(mentionId, mutation.set, meta);
      const eventId = this.insertEvent(mentionId, mutation, meta);
      return { mention: this.getSync(mentionId)!, event: this.getEventSync(eventId) };
    });
    return run.immediate();
  }

  async listInbox(filter: InboxFilter, page: { cursor?: string | null; limit: number }): Promise<InboxPage> {
    const where = buildWhere(filter);
    if (page.cursor) {
      const c = decodeCursor(page.cursor);
      // Spelled so the (published_at) index bounds the scan; the OR only breaks ties.
      where.sql.push('m.published_at <= @cursorAt AND (m.published_at < @cursorAt OR m.id < @cursorId)');
      where.params.cursorAt = c.publishedAt;
      where.params.cursorId = c.id;
    }
    const rows = this.select(where, page.limit + 1);
    const more = rows.length > page.limit;
    const mentions = rows.slice(0, page.limit).map(toTriaged);
    const last = mentions.at(-1);
    return { mentions, next: more && last ? encodeCursor(last.publishedAt, last.id) : null };
  }

  /**
   * Up to `limit` rows newest first. With a search, rows stream from SQLite and the matcher keeps
   * those the query really selects (FTS5 selects a superset), until `limit` are kept.
   */
  private select(where: Where, limit: number): Row[] {
    const order = ' ORDER BY m.published_at DESC, m.id DESC';
    if (!where.search) {
      const sql = `${SELECT_TRIAGED}${where.join}${whereClause(where)}${order} LIMIT @limit`;
      return stmt<[Record<string, unknown>], Row>(this.db, sql).all({ ...where.params, limit });
    }
    const ids = this.searchIds(where, limit);
    const get = stmt<[number], Row>(this.db, `${SELECT_TRIAGED} WHERE m.id = ?`);
    return ids.map((id) => get.get(id)).filter((r): r is Row => r !== undefined);
  }

  /**
   * Ids of the newest `limit` mentions that pass the filters and the search. FTS5 finds a superset
   * and the query language's matcher decides. Two ways to use FTS5, chosen by how common the
   * search is: a rare one (under SEARCH_DENSE matches) as an id set the newest-first scan checks
   * against; a common one by scanning newest first and asking the matcher, which meets enough
   * matches within a few hundred rows (building the id set of a word in 10% of a million mentions
   * took ~0.5 s). If that scan goes SEARCH_SCAN_CAP rows without filling the page (the other
   * filters are rare), it finishes with the id set.
   */
  private searchIds(where: Where, limit: number): number[] {
    const search = where.search!;
    const order = ' ORDER BY m.published_at DESC, m.id DESC';
    const accepted: number[] = [];
    const fts5 = where.params.fts5 as string | undefined;
    const withoutFts: Where = { ...where, sql: where.sql.filter((c) => !c.includes('mentions_fts')), params: { ...where.params } };
    delete withoutFts.params.fts5;
    const dense =
      !fts5 ||
      (stmt<[string, number], { n: number }>(this.db, 'SELECT COUNT(*) AS n FROM (SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ? LIMIT ?)').get(fts5, this.searchDense)?.n ?? 0) >=
        this.searchDense;
    let from: { publishedAt: string; id: number } | null = null;
    if (dense) {
      const sql = `SELECT m.id, m.published_at, m.title, m.text FROM mentions m${withoutFts.join}${whereClause(withoutFts)}${order}`;
      let scanned = 0;
      for (const row of stmt<[Record<string, unknown>], { id: number; published_at: string; title: string; text: string }>(this.db, sql).iterate(withoutFts.params)) {
        scanned += 1;
        if (search.accepts(row.title, row.text)) accepted.push(row.id);
        if (accepted.length >= limit) return accepted;
        from = { publishedAt: row.published_at, id: row.id };
        if (fts5 && scanned >= this.searchScanCap) break;
      }
      if (!fts5 || scanned < this.searchScanCap) return accepted;
    }
    const rest: Where = { ...where, sql: [...where.sql], params: { ...where.params } };
    if (from) {
      rest.sql.push('m.published_at <= @searchAt AND (m.published_at < @searchAt OR m.id < @searchId)');
      rest.params.searchAt = from.publishedAt;
      rest.params.searchId = from.id;
    }
    const sql = `SELECT m.id, m.title, m.text FROM mentions m${rest.join}${whereClause(rest)}${order}`;
    for (const row of stmt<[Record<string, unknown>], { id: number; title: string; text: string }>(this.db, sql).iterate(rest.params)) {
      if (!search.accepts(row.title, row.text)) continue;
      accepted.push(row.id);
      if (accepted.length >= limit) break;
    }
    return accepted;
  }

  async countNewer(filter: InboxFilter, afterId: number): Promise<number> {
    const where = buildWhere(filter);
    where.sql.push('m.id > @afterId');
    where.params.afterId = afterId;
    if (where.search) return this.select(where, 10_000).length;
    const row = stmt<[Record<string, unknown>], { n: number }>(this.db, `SELECT COUNT(*) AS n FROM mentions m${where.join}${whereClause(where)}`).get(where.params);
    return row?.n ?? 0;
  }

  async listNewer(filter: InboxFilter, afterId: number, limit: number): Promise<TriagedMention[]> {
    const where = buildWhere(filter);
    where.sql.push('m.id > @afterId');
    where.params.afterId = afterId;
    return this.select(where, limit).map(toTriaged);
  }

  async latestMentionId(): Promise<number> {
    return stmt<[], { id: number | null }>(this.db, 'SELECT max(id) AS id FROM mentions').get()?.id ?? 0;
  }

  async related(mention: { id: number; storyKey: string | null; duplicateOf: number | null }, limit: number) {
    // Three indexed lookups rather than one OR (which SQLite answers with a full scan).
    const original = mention.duplicateOf ?? mention.id;
    const ids = new Set<number>([original]);
    for (const r of stmt<[number, number], { id: number }>(this.db, 'SELECT id FROM mentions WHERE duplicate_of = ? ORDER BY id LIMIT ?').all(original, limit + 1)) ids.add(r.id);
    if (mention.storyKey) {
      for (const r of stmt<[string, number], { id: number }>(this.db, 'SELECT id FROM mentions WHERE story_key = ? ORDER BY id LIMIT ?').all(mention.storyKey, limit + 1)) ids.add(r.id);
    }
    ids.delete(mention.id);
    const get = stmt<[number], Row>(this.db, 'SELECT m.*, NULL AS tags, NULL AS corrected_from FROM mentions m WHERE m.id = ?');
    return [...ids]
      .map((id) => get.get(id))
      .filter((r): r is Row => r !== undefined)
      .map((r) => rowToMention(r))
      .sort((a, b) => a.publishedAt.localeCompare(b.publishedAt) || a.id - b.id)
      .slice(0, limit);
  }

  private getEventSync(id: number): TriageEvent | null {
    const row = stmt<[number], EventRow>(this.db, 'SELECT * FROM mention_events WHERE id = ?').get(id);
    return row ? toEvent(row) : null;
  }

  async listEvents(mentionId: number): Promise<TriageEvent[]> {
    return stmt<[number], EventRow>(this.db, 'SELECT * FROM mention_events WHERE mention_id = ? ORDER BY id').all(mentionId).map(toEvent);
  }

  async getEvent(id: number): Promise<TriageEvent | null> {
    return this.getEventSync(id);
  }

  async eventsInBatch(batch: string): Promise<TriageEvent[]> {
    return stmt<[string], EventRow>(this.db, 'SELECT * FROM mention_events WHERE batch = ? ORDER BY id').all(batch).map(toEvent);
  }

  async lastUndoable(actorId: string, mentionId?: number): Promise<TriageEvent | null> {
    const row =
      mentionId === undefined
        ? stmt<[string], EventRow>(
            this.db,
            "SELECT * FROM mention_events WHERE actor_id = ? AND undoes IS NULL AND undone_by IS NULL AND action <> 'note' ORDER BY id DESC LIMIT 1",
          ).get(actorId)
        : stmt<[string, number], EventRow>(
            this.db,
            "SELECT * FROM mention_events WHERE actor_id = ? AND mention_id = ? AND undoes IS NULL AND undone_by IS NULL AND action <> 'note' ORDER BY id DESC LIMIT 1",
          ).get(actorId, mentionId);
    return row ? toEvent(row) : null;
  }

  async dueSnoozed(now: string, limit: number): Promise<number[]> {
    // The snoozed ones first (INDEXED BY, a partial index of them): the planner otherwise walked
    // every mention in a story (2% of 1 M) to find the few snoozed among them, 44 ms per inbox view.
    return stmt<[Record<string, unknown>], { id: number }>(
      this.db,
      `SELECT id FROM mentions WHERE status = 'snoozed' AND snoozed_until <= @now
       UNION
       SELECT m.id FROM mentions m INDEXED BY mentions_snoozed WHERE m.status = 'snoozed' AND m.story_key IS NOT NULL
         AND EXISTS (SELECT 1 FROM mentions n WHERE n.story_key = m.story_key AND n.id <> m.id AND n.fetched_at > m.status_at)
       LIMIT @limit`,
    )
      .all({ now, limit })
      .map((r) => r.id);
  }

  async alertsForMention(mentionId: number): Promise<AlertForMention[]> {
    const alerts = stmt<[number], { id: number; rule: string; created_at: string; summary: string }>(
      this.db,
      `SELECT a.id, a.rule, a.created_at, a.summary FROM alert_mentions am JOIN alerts a ON a.id = am.alert_id
       WHERE am.mention_id = ? ORDER BY a.created_at, a.id`,
    ).all(mentionId);
    return alerts.map((a) => ({
      alertId: a.id,
      rule: a.rule,
      createdAt: a.created_at,
      summary: a.summary,
      deliveries: stmt<
        [number],
        { notifier: string; target: string; status: string; attempts: number; sent_at: string | null; last_error: string | null; hold_reason: string | null; ref: string | null }
      >(this.db, 'SELECT notifier, target, status, attempts, sent_at, last_error, hold_reason, ref FROM deliveries WHERE alert_id = ? ORDER BY id')
        .all(a.id)
        .map((d) => ({
          notifier: d.notifier,
          target: d.target,
          status: d.status,
          attempts: d.attempts,
          sentAt: d.sent_at,
          lastError: d.last_error,
          holdReason: d.hold_reason,
          ref: d.ref,
        })),
    }));
  }

  async listCorrections(options: { since?: string; limit?: number } = {}): Promise<SentimentCorrection[]> {
    const rows = stmt<
      [string, number],
      {
        mention_id: number;
        brand: string;
        source: string;
        title: string;
        text: string;
        language: string | null;
        analyzer_label: string;
        analyzer_score: number;
        label: string;
        actor_name: string;
        at: string;
      }
    >(this.db, 'SELECT * FROM sentiment_corrections WHERE at >= ? ORDER BY at, mention_id LIMIT ?').all(options.since ?? '', options.limit ?? 1_000_000);
    return rows.map((r) => ({
      mentionId: r.mention_id,
      brand: r.brand,
      source: r.source,
      title: r.title,
      text: r.text,
      language: r.language,
      analyzerLabel: r.analyzer_label as SentimentLabel,
      analyzerScore: r.analyzer_score,
      label: r.label as SentimentLabel,
      actorName: r.actor_name,
      at: r.at,
    }));
  }

  async tagsInUse(limit: number): Promise<string[]> {
    return stmt<[number], { tag: string }>(this.db, 'SELECT tag FROM mention_tags GROUP BY tag ORDER BY COUNT(*) DESC, tag LIMIT ?')
      .all(limit)
      .map((r) => r.tag);
  }

  async assigneesInUse(limit: number): Promise<string[]> {
    return stmt<[number], { assignee: string }>(
      this.db,
      'SELECT assignee FROM mentions WHERE assignee IS NOT NULL GROUP BY assignee ORDER BY COUNT(*) DESC, assignee LIMIT ?',
    )
      .all(limit)
      .map((r) => r.assignee);
  }

  async responseStats(brand: string, since: string, until: string, now: string): Promise<ResponseStats> {
    // The period's marks from mention_events_handled, then each one's mention by its id (CROSS JOIN
    // keeps that order: driven from the brand's mentions instead, it read all of them, 1.8 s at 1 M).
    const firsts = stmt<[string, string, string], { action: string; fetched_at: string; at: string }>(
      this.db,
      `WITH firsts AS MATERIALIZED (
         SELECT mention_id, action, MIN(at) AS at FROM mention_events
         WHERE action IN ('handle', 'irrelevant') AND undone_by IS NULL AND at >= ? AND at < ? GROUP BY mention_id, action)
       SELECT f.action, m.fetched_at, f.at FROM firsts f CROSS JOIN mentions m ON m.id = f.mention_id WHERE m.brand = ?`,
    ).all(since, until, brand);
    const times = firsts
      .filter((r) => r.action === 'handle')
      .map((r) => Math.max(0, Date.parse(r.at) - Date.parse(r.fetched_at)))
      .sort((a, b) => a - b);
    // One range count per age bucket on mentions_open (brand, published_at): read from the index alone.
    // INDEXED BY: mentions_period has the same leading columns, and the planner took it without
    // statistics; it lacks status, so the "over 30 days" count read 260,000 rows (1.1 s at 1 M).
    const nowMs = Date.parse(now);
    const count = stmt<[string, string, string], { n: number }>(
      this.db,
      "SELECT COUNT(*) AS n FROM mentions INDEXED BY mentions_open WHERE brand = ? AND status = 'open' AND duplicate_of IS NULL AND published_at >= ? AND published_at < ?",
    );
    const edges = [nowMs + 366 * 86_400_000, ...BACKLOG_BUCKETS.map((b) => nowMs - b.ms), 0].map((t) => new Date(t).toISOString());
    const labels = [...BACKLOG_BUCKETS.map((b) => b.label), 'over 30 days'];
    const backlog = labels.map((label, i) => ({ label, count: count.get(brand, edges[i + 1]!, edges[i]!)?.n ?? 0 }));
    return {
      handled: times.length,
      medianToHandledMs: percentile(times, 0.5),
      p90ToHandledMs: percentile(times, 0.9),
      irrelevant: firsts.filter((r) => r.action === 'irrelevant').length,
      backlog,
    };
  }

  async listViews(): Promise<SavedView[]> {
    return stmt<[], { id: number; name: string; query: string; created_by: string; created_at: string }>(
      this.db,
      'SELECT * FROM saved_views ORDER BY name COLLATE NOCASE',
    )
      .all()
      .map((r) => ({ id: r.id, name: r.name, query: r.query, createdBy: r.created_by, createdAt: r.created_at }));
  }

  async saveView(name: string, query: string, createdBy: string, at: string): Promise<SavedView> {
    const row = stmt<[string, string, string, string], { id: number }>(
      this.db,
      `INSERT INTO saved_views (name, query, created_by, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET query = excluded.query, created_by = excluded.created_by, created_at = excluded.created_at
       RETURNING id`,
    ).get(name, query, createdBy, at)!;
    return { id: row.id, name, query, createdBy, createdAt: at };
  }

  async deleteView(id: number): Promise<boolean> {
    return stmt(this.db, 'DELETE FROM saved_views WHERE id = ?').run(id).changes > 0;
  }

  async createSession(s: UiSession): Promise<void> {
    stmt(
      this.db,
      'INSERT INTO ui_sessions (id, user_name, via, csrf, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(s.id, s.userName, s.via, s.csrf, s.createdAt, s.lastSeenAt, s.expiresAt);
  }

  async getSession(id: string, now: string): Promise<UiSession | null> {
    const r = stmt<[string, string], { id: string; user_name: string; via: string; csrf: string; created_at: string; last_seen_at: string; expires_at: string }>(
      this.db,
      'SELECT * FROM ui_sessions WHERE id = ? AND expires_at > ?',
    ).get(id, now);
    return r
      ? { id: r.id, userName: r.user_name, via: r.via as UiSession['via'], csrf: r.csrf, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at }
      : null;
  }

  async touchSession(id: string, lastSeenAt: string, expiresAt: string): Promise<void> {
    stmt(this.db, 'UPDATE ui_sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?').run(lastSeenAt, expiresAt, id);
  }

  async deleteSession(id: string): Promise<void> {
    stmt(this.db, 'DELETE FROM ui_sessions WHERE id = ?').run(id);
  }

  async pruneSessions(now: string): Promise<number> {
    return stmt(this.db, 'DELETE FROM ui_sessions WHERE expires_at <= ?').run(now).changes;
  }

  async getKeyboardPreference(userName: string): Promise<boolean> {
    const row = stmt<[string], { keyboard: number }>(this.db, 'SELECT keyboard FROM ui_preferences WHERE user_name = ?').get(userName);
    return row ? row.keyboard === 1 : true;
  }

  async setKeyboardPreference(userName: string, on: boolean): Promise<void> {
    stmt(this.db, 'INSERT INTO ui_preferences (user_name, keyboard) VALUES (?, ?) ON CONFLICT (user_name) DO UPDATE SET keyboard = excluded.keyboard').run(
      userName,
      on ? 1 : 0,
    );
  }
}

/** One triage store per database handle, so every caller (UI, API, Slack) shares its event listeners. */
const stores = new WeakMap<Db, SqliteTriageStore>();
export function triageStore(db: Db): SqliteTriageStore {
  let store = stores.get(db);
  if (!store) {
    store = new SqliteTriageStore(db);
    stores.set(db, store);
  }
  return store;
}
