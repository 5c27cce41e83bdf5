/**
 * The triage store on PostgreSQL (the contract: ../triage-types.ts; the SQLite twin: ../triage.ts).
 *
 * Nodes and people act on the same mention at once (two people clicking in the UI, a Slack
 * button on another node): `mutate` locks the mention's row (SELECT … FOR UPDATE) before `decide`
 * reads its state, so each decision sees the state the previous one left, as on SQLite.
 *
 * Search in the inbox (`filter.fts`) is read as earshot's query language and run on the
 * `search` tsvector (../../analyze/query/tsquery.ts); the interim search box writes quoted terms
 * ("a" "b"), which mean the same in the query language.
 */
import type { Mention, Sentiment, SentimentLabel } from '../../core/types.js';
import { toTsquery } from '../../analyze/query/tsquery.js';
import { decodeCursor, encodeCursor } from '../triage-cursor.js';
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
import { MENTION_COLUMNS, rowToMention, type MentionRow } from './mentions.js';
import type { PostgresStore } from './store.js';
import type { Sql } from './sql.js';

type Row = MentionRow & {
  status: string;
  status_at: string | null;
  snoozed_until: string | null;
  assignee: string | null;
  tags: string[] | null;
  corrected_from: string | null;
};

const SELECT_TRIAGED = `SELECT ${MENTION_COLUMNS.split(', ')
  .map((c) => `m.${c}`)
  .join(', ')}, m.status, m.status_at, m.snoozed_until, m.assignee,
  (SELECT array_agg(t.tag ORDER BY t.tag COLLATE "C") FROM mention_tags t WHERE t.mention_id = m.id) AS tags,
  (SELECT c.analyzer_label FROM sentiment_corrections c WHERE c.mention_id = m.id) AS corrected_from
  FROM mentions m`;

function toTriaged(row: Row): TriagedMention {
  return {
    ...rowToMention(row),
    status: row.status as TriageStatus,
    statusAt: row.status_at,
    snoozedUntil: row.snoozed_until,
    assignee: row.assignee,
    tags: row.tags ?? [],
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
  before: StatePatch | null;
  after: StatePatch | null;
  batch: string | null;
  undoes: number | null;
  undone_by: number | null;
}

const EVENT_COLUMNS = 'id, mention_id, at, actor_kind, actor_id, actor_name, action, value, before, after, batch, undoes, undone_by';

function toEvent(r: EventRow): TriageEvent {
  return {
    id: r.id,
    mentionId: r.mention_id,
    at: r.at,
    actor: { kind: r.actor_kind as TriageEvent['actor']['kind'], id: r.actor_id, name: r.actor_name },
    action: r.action,
    value: r.value,
    before: r.before,
    after: r.after,
    batch: r.batch,
    undoes: r.undoes,
    undoneBy: r.undone_by,
  };
}

interface Where {
  sql: string[];
  params: unknown[];
  join: string;
}

function param(where: Where, value: unknown): string {
  where.params.push(value);
  return `$${where.params.length}`;
}

function buildWhere(filter: InboxFilter): Where {
  const where: Where = { sql: [], params: [], join: '' };
  const anyOf = (column: string, values: readonly string[] | undefined): void => {
    if (values?.length) where.sql.push(`${column} = ANY(${param(where, values)}::text[])`);
  };
  anyOf('m.brand', filter.brand);
  anyOf('m.source', filter.source);
  if (filter.status?.length) {
    anyOf('m.status', filter.status);
    // Written out so the planner sees that the partial index mentions_triaged applies.
    if (!filter.status.includes('open')) where.sql.push("m.status <> 'open'");
  }
  anyOf('m.sentiment_label', filter.sentiment);
  anyOf('m.urgency_level', filter.urgency);
  anyOf('m.language', filter.language);
  for (const flag of filter.flags ?? []) where.sql.push(`m.flag_${flag} >= 0.5`);
  if (filter.reachAtLeast !== undefined) where.sql.push(`m.reach >= ${param(where, filter.reachAtLeast)}`);
  if (filter.assignee) where.sql.push(`m.assignee = ${param(where, filter.assignee)}`);
  if (filter.story) where.sql.push(`m.story_key = ${param(where, filter.story)}`);
  if (filter.tag) where.join = ` JOIN mention_tags tf ON tf.mention_id = m.id AND tf.tag = ${param(where, filter.tag)}`;
  if (filter.since) where.sql.push(`m.published_at >= ${param(where, filter.since)}::timestamptz`);
  if (filter.until) where.sql.push(`m.published_at < ${param(where, filter.until)}::timestamptz`);
  if (!filter.includeDuplicates) where.sql.push('m.duplicate_of IS NULL');
  if (filter.q) where.sql.push(`m.search @@ ${param(where, toTsquery(filter.q))}::tsquery`);
  return where;
}

function whereClause(where: Where): string {
  return where.sql.length ? ` WHERE ${where.sql.join(' AND ')}` : '';
}

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

interface StateRow {
  status: string;
  status_at: string | null;
  snoozed_until: string | null;
  assignee: string | null;
  sentiment_label: string;
  sentiment_score: number;
  sentiment_reasons: string[];
  tags: string[] | null;
}

async function getMention(sql: Sql, id: number): Promise<TriagedMention | null> {
  const row = await sql.one<Row>(`${SELECT_TRIAGED} WHERE m.id = $1`, [id]);
  return row ? toTriaged(row) : null;
}

async function getEvent(sql: Sql, id: number): Promise<TriageEvent | null> {
  const row = await sql.one<EventRow>(`SELECT ${EVENT_COLUMNS} FROM mention_events WHERE id = $1`, [id]);
  return row ? toEvent(row) : null;
}

async function writeSentiment(tx: Sql, id: number, sentiment: Sentiment, meta: MutationMeta): Promise<void> {
  const existing = await tx.one<{ analyzer_label: string }>('SELECT analyzer_label FROM sentiment_corrections WHERE mention_id = $1', [id]);
  if (!existing) {
    // The first correction keeps what the analyzer said, with the text, as a labelled example.
    await tx.run(
      `INSERT INTO sentiment_corrections (mention_id, brand, source, title, text, language, analyzer_label, analyzer_score,
         analyzer_reasons, label, actor_name, at)
       SELECT id, brand, source, title, text, language, sentiment_label, sentiment_score, sentiment_reasons, $2, $3, $4
       FROM mentions WHERE id = $1`,
      [id, sentiment.label, meta.actor.name, meta.at],
    );
  } else if (existing.analyzer_label === sentiment.label) {
    await tx.run('DELETE FROM sentiment_corrections WHERE mention_id = $1', [id]);
  } else {
    await tx.run('UPDATE sentiment_corrections SET label = $2, actor_name = $3, at = $4 WHERE mention_id = $1', [id, sentiment.label, meta.actor.name, meta.at]);
  }
  await tx.run('UPDATE mentions SET sentiment_label = $2, sentiment_score = $3, sentiment_reasons = $4 WHERE id = $1', [
    id,
    sentiment.label,
    sentiment.score,
    JSON.stringify(sentiment.reasons),
  ]);
}

async function applySet(tx: Sql, id: number, set: StatePatch, meta: MutationMeta): Promise<void> {
  const columns: Array<[string, unknown]> = [];
  if (set.status !== undefined) columns.push(['status', set.status]);
  if (set.statusAt !== undefined) columns.push(['status_at', set.statusAt]);
  if (set.snoozedUntil !== undefined) columns.push(['snoozed_until', set.snoozedUntil]);
  if (set.assignee !== undefined) columns.push(['assignee', set.assignee]);
  if (columns.length) {
    await tx.run(`UPDATE mentions SET ${columns.map(([c], i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1`, [id, ...columns.map(([, v]) => v)]);
  }
  for (const tag of set.tagsAdded ?? []) await tx.run('INSERT INTO mention_tags (mention_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING', [id, tag]);
  for (const tag of set.tagsRemoved ?? []) await tx.run('DELETE FROM mention_tags WHERE mention_id = $1 AND tag = $2', [id, tag]);
  if (set.sentiment) await writeSentiment(tx, id, set.sentiment, meta);
}

async function insertEvent(tx: Sql, id: number, mutation: Mutation, meta: MutationMeta): Promise<number> {
  const row = await tx.one<{ id: number }>(
    `INSERT INTO mention_events (mention_id, at, actor_kind, actor_id, actor_name, action, value, before, after, batch, undoes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
    [
      id,
      meta.at,
      meta.actor.kind,
      meta.actor.id,
      meta.actor.name,
      mutation.action,
      mutation.value,
      mutation.before ? JSON.stringify(mutation.before) : null,
      mutation.after ? JSON.stringify(mutation.after) : null,
      meta.batch ?? null,
      mutation.undoes ?? null,
    ],
  );
  const eventId = row!.id;
  if (mutation.undoes !== undefined) await tx.run('UPDATE mention_events SET undone_by = $1 WHERE id = $2', [eventId, mutation.undoes]);
  return eventId;
}

export class PgTriageStore implements TriageStore {
  constructor(private readonly sql: Sql) {}

  getMention(id: number): Promise<TriagedMention | null> {
    return getMention(this.sql, id);
  }

  async getMentions(ids: readonly number[]): Promise<TriagedMention[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql.rows<Row>(`${SELECT_TRIAGED} WHERE m.id = ANY($1::bigint[])`, [ids]);
    const byId = new Map(rows.map((r) => [r.id, toTriaged(r)]));
    return ids.map((id) => byId.get(id)).filter((m): m is TriagedMention => m !== undefined);
  }

  mutate(mentionId: number, decide: (state: TriageState) => Mutation | null, meta: MutationMeta): Promise<MutationResult | null> {
    return this.sql.atomic(async (tx) => {
      const row = await tx.one<StateRow>(
        `SELECT status, status_at, snoozed_until, assignee, sentiment_label, sentiment_score, sentiment_reasons,
           (SELECT array_agg(t.tag ORDER BY t.tag COLLATE "C") FROM mention_tags t WHERE t.mention_id = m.id) AS tags
         FROM mentions m WHERE id = $1 FOR UPDATE`,
        [mentionId],
      );
      if (!row) return null;
      const state: TriageState = {
        status: row.status as TriageStatus,
        statusAt: row.status_at,
        snoozedUntil: row.snoozed_until,
        assignee: row.assignee,
        tags: row.tags ?? [],
        sentiment: { label: row.sentiment_label as SentimentLabel, score: row.sentiment_score, reasons: row.sentiment_reasons },
      };
      const mutation = decide(state);
      if (!mutation) return { mention: (await getMention(tx, mentionId))!, event: null };
      await applySet(tx, mentionId, mutation.set, meta);
      const eventId = await insertEvent(tx, mentionId, mutation, meta);
      return { mention: (await getMention(tx, mentionId))!, event: await getEvent(tx, eventId) };
    });
  }

  async listInbox(filter: InboxFilter, page: { cursor?: string | null; limit: number }): Promise<InboxPage> {
    const where = buildWhere(filter);
    if (page.cursor) {
      const c = decodeCursor(page.cursor);
      where.sql.push(`(m.published_at, m.id) < (${param(where, c.publishedAt)}::timestamptz, ${param(where, c.id)})`);
    }
    const limit = param(where, page.limit + 1);
    const rows = await this.sql.rows<Row>(`${SELECT_TRIAGED}${where.join}${whereClause(where)} ORDER BY m.published_at DESC, m.id DESC LIMIT ${limit}`, where.params);
    const more = rows.length > page.limit;
    const mentions = rows.slice(0, page.limit).map(toTriaged);
    const last = mentions.at(-1);
    return { mentions, next: more && last ? encodeCursor(last.publishedAt, last.id) : null };
  }

  async countNewer(filter: InboxFilter, afterId: number): Promise<number> {
    const where = buildWhere(filter);
    where.sql.push(`m.id > ${param(where, afterId)}`);
    return (await this.sql.one<{ n: number }>(`SELECT count(*) AS n FROM mentions m${where.join}${whereClause(where)}`, where.params))?.n ?? 0;
  }

  async listNewer(filter: InboxFilter, afterId: number, limit: number): Promise<TriagedMention[]> {
    const where = buildWhere(filter);
    where.sql.push(`m.id > ${param(where, afterId)}`);
    const n = param(where, limit);
    const rows = await this.sql.rows<Row>(`${SELECT_TRIAGED}${where.join}${whereClause(where)} ORDER BY m.published_at DESC, m.id DESC LIMIT ${n}`, where.params);
    return rows.map(toTriaged);
  }

  async latestMentionId(): Promise<number> {
    return (await this.sql.one<{ id: number | null }>('SELECT max(id) AS id FROM mentions'))?.id ?? 0;
  }

  async related(mention: Pick<Mention, 'id' | 'storyKey' | 'duplicateOf'>, limit: number): Promise<Mention[]> {
    const original = mention.duplicateOf ?? mention.id;
    const rows = await this.sql.rows<MentionRow>(
      `SELECT ${MENTION_COLUMNS} FROM mentions m
       WHERE m.id <> $1 AND (m.id = $2 OR m.duplicate_of = $2 OR ($3::text IS NOT NULL AND m.story_key = $3))
       ORDER BY m.published_at, m.id LIMIT $4`,
      [mention.id, original, mention.storyKey, limit],
    );
    return rows.map(rowToMention);
  }

  async listEvents(mentionId: number): Promise<TriageEvent[]> {
    return (await this.sql.rows<EventRow>(`SELECT ${EVENT_COLUMNS} FROM mention_events WHERE mention_id = $1 ORDER BY id`, [mentionId])).map(toEvent);
  }

  getEvent(id: number): Promise<TriageEvent | null> {
    return getEvent(this.sql, id);
  }

  async eventsInBatch(batch: string): Promise<TriageEvent[]> {
    return (await this.sql.rows<EventRow>(`SELECT ${EVENT_COLUMNS} FROM mention_events WHERE batch = $1 ORDER BY id`, [batch])).map(toEvent);
  }

  async lastUndoable(actorId: string, mentionId?: number): Promise<TriageEvent | null> {
    const row = await this.sql.one<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM mention_events
       WHERE actor_id = $1 AND ($2::bigint IS NULL OR mention_id = $2) AND undoes IS NULL AND undone_by IS NULL AND action <> 'note'
       ORDER BY id DESC LIMIT 1`,
      [actorId, mentionId ?? null],
    );
    return row ? toEvent(row) : null;
  }

  async dueSnoozed(now: string, limit: number): Promise<number[]> {
    const rows = await this.sql.rows<{ id: number }>(
      `SELECT id FROM mentions WHERE status = 'snoozed' AND snoozed_until <= $1
       UNION
       SELECT m.id FROM mentions m WHERE m.status = 'snoozed' AND m.story_key IS NOT NULL
         AND EXISTS (SELECT 1 FROM mentions n WHERE n.story_key = m.story_key AND n.id <> m.id AND n.fetched_at > m.status_at)
       LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.id);
  }

  async alertsForMention(mentionId: number): Promise<AlertForMention[]> {
    const rows = await this.sql.rows<{
      id: number;
      rule: string;
      created_at: string;
      summary: string;
      deliveries: Array<{
        notifier: string;
        target: string;
        status: string;
        attempts: number;
        sent_at: string | null;
        last_error: string | null;
        hold_reason: string | null;
        ref: string | null;
      }> | null;
    }>(
      `SELECT a.id, a.rule, a.created_at, a.summary,
         (SELECT json_agg(json_build_object('notifier', d.notifier, 'target', d.target, 'status', d.status, 'attempts', d.attempts,
             'sent_at', d.sent_at, 'last_error', d.last_error, 'hold_reason', d.hold_reason, 'ref', d.ref) ORDER BY d.id)
          FROM deliveries d WHERE d.alert_id = a.id) AS deliveries
       FROM alert_mentions am JOIN alerts a ON a.id = am.alert_id WHERE am.mention_id = $1 ORDER BY a.created_at, a.id`,
      [mentionId],
    );
    return rows.map((a) => ({
      alertId: a.id,
      rule: a.rule,
      createdAt: a.created_at,
      summary: a.summary,
      deliveries: (a.deliveries ?? []).map((d) => ({
        notifier: d.notifier,
        target: d.target,
        status: d.status,
        attempts: d.attempts,
        // json_build_object writes timestamptz in PostgreSQL's own form: normalise to ISO.
        sentAt: d.sent_at === null ? null : new Date(d.sent_at).toISOString(),
        lastError: d.last_error,
        holdReason: d.hold_reason,
        ref: d.ref,
      })),
    }));
  }

  async listCorrections(options: { since?: string; limit?: number } = {}): Promise<SentimentCorrection[]> {
    const rows = await this.sql.rows<{
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
    }>(
      `SELECT mention_id, brand, source, title, text, language, analyzer_label, analyzer_score, label, actor_name, at
       FROM sentiment_corrections WHERE ($1::timestamptz IS NULL OR at >= $1) ORDER BY at, mention_id LIMIT $2`,
      [options.since ?? null, options.limit ?? 1_000_000],
    );
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
    const rows = await this.sql.rows<{ tag: string }>('SELECT tag FROM mention_tags GROUP BY tag ORDER BY count(*) DESC, tag COLLATE "C" LIMIT $1', [limit]);
    return rows.map((r) => r.tag);
  }

  async assigneesInUse(limit: number): Promise<string[]> {
    const rows = await this.sql.rows<{ assignee: string }>(
      'SELECT assignee FROM mentions WHERE assignee IS NOT NULL GROUP BY assignee ORDER BY count(*) DESC, assignee COLLATE "C" LIMIT $1',
      [limit],
    );
    return rows.map((r) => r.assignee);
  }

  async responseStats(brand: string, since: string, until: string, now: string): Promise<ResponseStats> {
    const firsts = await this.sql.rows<{ action: string; fetched_at: string; at: string }>(
      `SELECT e.action, m.fetched_at, min(e.at) AS at FROM mention_events e JOIN mentions m ON m.id = e.mention_id
       WHERE m.brand = $1 AND e.action IN ('handle', 'irrelevant') AND e.undone_by IS NULL AND e.at >= $2 AND e.at < $3
       GROUP BY e.mention_id, e.action, m.fetched_at`,
      [brand, since, until],
    );
    const times = firsts
      .filter((r) => r.action === 'handle')
      .map((r) => Math.max(0, Date.parse(r.at) - Date.parse(r.fetched_at)))
      .sort((a, b) => a - b);
    const nowMs = Date.parse(now);
    const bounds = BACKLOG_BUCKETS.map((b) => new Date(nowMs - b.ms).toISOString());
    const sums = bounds.map((_, i) => `count(*) FILTER (WHERE published_at >= $${i + 2}${i === 0 ? '' : ` AND published_at < $${i + 1}`}) AS b${i}`);
    const row = (await this.sql.one<Record<string, number>>(
      `SELECT ${sums.join(', ')}, count(*) FILTER (WHERE published_at < $${bounds.length + 1}) AS older FROM mentions
       WHERE brand = $1 AND status = 'open' AND duplicate_of IS NULL`,
      [brand, ...bounds],
    ))!;
    return {
      handled: times.length,
      medianToHandledMs: percentile(times, 0.5),
      p90ToHandledMs: percentile(times, 0.9),
      irrelevant: firsts.filter((r) => r.action === 'irrelevant').length,
      backlog: [...BACKLOG_BUCKETS.map((b, i) => ({ label: b.label, count: row[`b${i}`] ?? 0 })), { label: 'over 30 days', count: row.older ?? 0 }],
    };
  }

  async listViews(): Promise<SavedView[]> {
    const rows = await this.sql.rows<{ id: number; name: string; query: string; created_by: string; created_at: string }>(
      'SELECT id, name, query, created_by, created_at FROM saved_views ORDER BY lower(name) COLLATE "C", name COLLATE "C"',
    );
    return rows.map((r) => ({ id: r.id, name: r.name, query: r.query, createdBy: r.created_by, createdAt: r.created_at }));
  }

  async saveView(name: string, query: string, createdBy: string, at: string): Promise<SavedView> {
    const row = await this.sql.one<{ id: number }>(
      `INSERT INTO saved_views (name, query, created_by, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO UPDATE SET query = excluded.query, created_by = excluded.created_by, created_at = excluded.created_at
       RETURNING id`,
      [name, query, createdBy, at],
    );
    return { id: row!.id, name, query, createdBy, createdAt: at };
  }

  async deleteView(id: number): Promise<boolean> {
    return (await this.sql.run('DELETE FROM saved_views WHERE id = $1', [id])) > 0;
  }

  async createSession(s: UiSession): Promise<void> {
    await this.sql.run('INSERT INTO ui_sessions (id, user_name, via, csrf, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      s.id,
      s.userName,
      s.via,
      s.csrf,
      s.createdAt,
      s.lastSeenAt,
      s.expiresAt,
    ]);
  }

  async getSession(id: string, now: string): Promise<UiSession | null> {
    const r = await this.sql.one<{ id: string; user_name: string; via: string; csrf: string; created_at: string; last_seen_at: string; expires_at: string }>(
      'SELECT id, user_name, via, csrf, created_at, last_seen_at, expires_at FROM ui_sessions WHERE id = $1 AND expires_at > $2',
      [id, now],
    );
    return r
      ? { id: r.id, userName: r.user_name, via: r.via as UiSession['via'], csrf: r.csrf, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at }
      : null;
  }

  async touchSession(id: string, lastSeenAt: string, expiresAt: string): Promise<void> {
    await this.sql.run('UPDATE ui_sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1', [id, lastSeenAt, expiresAt]);
  }

  async deleteSession(id: string): Promise<void> {
    await this.sql.run('DELETE FROM ui_sessions WHERE id = $1', [id]);
  }

  pruneSessions(now: string): Promise<number> {
    return this.sql.run('DELETE FROM ui_sessions WHERE expires_at <= $1', [now]);
  }

  async getKeyboardPreference(userName: string): Promise<boolean> {
    return (await this.sql.one<{ keyboard: boolean }>('SELECT keyboard FROM ui_preferences WHERE user_name = $1', [userName]))?.keyboard ?? true;
  }

  async setKeyboardPreference(userName: string, on: boolean): Promise<void> {
    await this.sql.run('INSERT INTO ui_preferences (user_name, keyboard) VALUES ($1, $2) ON CONFLICT (user_name) DO UPDATE SET keyboard = excluded.keyboard', [
      userName,
      on,
    ]);
  }
}

/** One triage store per PostgreSQL store, so every caller (UI, API, Slack) shares its event listeners. */
const stores = new WeakMap<PostgresStore, PgTriageStore>();
export function pgTriageStore(store: PostgresStore): PgTriageStore {
  let triage = stores.get(store);
  if (!triage) {
    triage = new PgTriageStore(store.sql);
    stores.set(store, triage);
  }
  return triage;
}
