/** Read-only aggregates on PostgreSQL for status, digests and /metrics (semantics: src/store/types.ts ReportRepo). */
import type { Mention } from '../../core/types.js';
import type { AlertState, DeliveryStatus, PeriodAuthorRow, ReportRepo } from '../types.js';
import { MENTION_COLUMNS, rowToMention, type MentionRow } from './mentions.js';
import type { Sql } from './sql.js';

const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'sent', 'failed', 'skipped', 'held', 'suppressed'];

/** "Needs a reply" (see PeriodVolumeRow in ../types.ts); the SQLite store's NEEDS_REPLY. */
const NEEDS_REPLY = `(sentiment_label = 'negative' OR urgency_level IN ('high', 'critical') OR EXISTS (
  SELECT 1 FROM jsonb_array_elements_text(urgency_reasons) AS r (reason) WHERE r.reason LIKE 'complaint%' OR r.reason LIKE 'question to @%'))`;
/** A brand's mentions of a period, duplicates excluded ($1 brand, $2 since, $3 until). */
const PERIOD = 'FROM mentions WHERE brand = $1 AND published_at >= $2 AND published_at < $3 AND duplicate_of IS NULL';
/** Authors per (source, lower(btrim(author))), named as their earliest mention of the period spells it. */
const AUTHOR_GROUPS = `SELECT source, count(*) AS n, max(reach) AS reach, (array_agg(btrim(author) ORDER BY published_at, id))[1] AS name
  ${PERIOD} AND btrim(author) <> '' GROUP BY source, lower(btrim(author))`;
/** The SQLite store's SAMPLE_HASH: a multiplicative hash of the id modulo a prime, within 64 bits. */
const SAMPLE_HASH = '((id % 4294967291) * 1103515245) % 4294967291';

/** The mentions whose ids `text` selects, in its order. */
async function mentionsByIds(sql: Sql, text: string, params: unknown[]): Promise<Mention[]> {
  const ids = (await sql.rows<{ id: number }>(text, params)).map((r) => r.id);
  if (ids.length === 0) return [];
  const rows = await sql.rows<MentionRow>(`SELECT ${MENTION_COLUMNS} FROM mentions WHERE id = ANY($1::bigint[])`, [ids]);
  const byId = new Map(rows.map((r) => [r.id, rowToMention(r)]));
  return ids.map((id) => byId.get(id)).filter((m): m is Mention => m !== undefined);
}

function authorRows(rows: Array<{ source: string; name: string; n: number; reach: number | null }>): PeriodAuthorRow[] {
  return rows.map((r) => ({ source: r.source, name: r.name, mentions: r.n, reach: r.reach }));
}

export function reportRepo(sql: Sql): ReportRepo {
  return {
    async alertsSent(brand, since, until) {
      const rows = await sql.rows<{ id: number; created_at: string; rule: string; summary: string; total_mentions: number; dests: string[] | null }>(
        `SELECT a.id, a.created_at, a.rule, a.summary, a.total_mentions,
           (SELECT array_agg(d.notifier || ' ' || d.target ORDER BY d.id) FROM deliveries d WHERE d.alert_id = a.id AND d.status = 'sent') AS dests
         FROM alerts a WHERE a.brand = $1 AND a.created_at >= $2 AND a.created_at < $3 ORDER BY a.created_at, a.id`,
        [brand, since, until],
      );
      return rows
        .filter((r) => r.dests && r.dests.length > 0)
        .map((r) => ({ id: r.id, createdAt: r.created_at, rule: r.rule, summary: r.summary, totalMentions: r.total_mentions, destinations: r.dests ?? [] }));
    },
    async alertedMentions(brand, since, until) {
      const rows = await sql.rows<{ alert_id: number; rule: string; created_at: string; fetched_at: string }>(
        `SELECT a.id AS alert_id, a.rule, a.created_at, m.fetched_at FROM alerts a
           JOIN alert_mentions am ON am.alert_id = a.id JOIN mentions m ON m.id = am.mention_id
         WHERE a.brand = $1 AND a.created_at >= $2 AND a.created_at < $3 ORDER BY a.id, m.id`,
        [brand, since, until],
      );
      return rows.map((r) => ({ alertId: r.alert_id, rule: r.rule, alertCreatedAt: r.created_at, mentionFetchedAt: r.fetched_at }));
    },
    async waitingByRule(brand, before) {
      const rows = await sql.rows<{ rule: string; n: number }>(
        `SELECT p.rule, count(*) AS n FROM rule_pending p JOIN mentions m ON m.id = p.mention_id
         WHERE m.brand = $1 AND p.added_at < $2 GROUP BY p.rule ORDER BY p.rule COLLATE "C"`,
        [brand, before],
      );
      return rows.map((r) => ({ rule: r.rule, count: r.n }));
    },
    async undelivered(brand, since, until) {
      const rows = await sql.rows<{ status: DeliveryStatus; notifier: string; target: string; reason: string | null; n: number }>(
        `SELECT d.status, d.notifier, d.target, coalesce(d.hold_reason, d.last_error) AS reason, count(*) AS n
         FROM deliveries d JOIN alerts a ON a.id = d.alert_id
         WHERE a.brand = $1 AND a.created_at >= $2 AND a.created_at < $3 AND d.status <> 'sent'
         GROUP BY d.status, d.notifier, d.target, coalesce(d.hold_reason, d.last_error)
         ORDER BY d.notifier COLLATE "C", d.target COLLATE "C", d.status COLLATE "C", coalesce(d.hold_reason, d.last_error) COLLATE "C"`,
        [brand, since, until],
      );
      return rows.map((r) => ({ status: r.status, notifier: r.notifier, target: r.target, reason: r.reason, count: r.n }));
    },
    async quietMentionStates(brand, since, until) {
      const rows = await sql.rows<{ alert_state: AlertState; n: number }>(
        `SELECT alert_state, count(*) AS n FROM mentions WHERE brand = $1 AND published_at >= $2 AND published_at < $3
           AND alert_state IN ('backfill', 'duplicate', 'quiet') GROUP BY alert_state ORDER BY alert_state COLLATE "C"`,
        [brand, since, until],
      );
      return rows.map((r) => ({ alertState: r.alert_state, count: r.n }));
    },
    async knownVoices(brand, since, until) {
      const rows = await sql.rows<{ source: string; author: string }>(
        `SELECT DISTINCT source, lower(btrim(author)) AS author FROM mentions
         WHERE brand = $1 AND published_at >= $2 AND published_at < $3 AND author IS NOT NULL`,
        [brand, since, until],
      );
      const urls = await sql.rows<{ url: string }>(
        'SELECT url FROM mentions WHERE brand = $1 AND published_at >= $2 AND published_at < $3 AND author IS NULL AND url IS NOT NULL',
        [brand, since, until],
      );
      return { authors: new Set(rows.map((r) => `${r.source}\u0000${r.author}`)), urls: urls.map((r) => r.url) };
    },
    async sourceHealth(brand, since, until) {
      const rows = await sql.rows<{
        source_key: string;
        polls: number;
        errors: number;
        rate_limited: number;
        gaps: number;
        last_error: string | null;
        last_gap: string | null;
      }>(
        `SELECT p.source_key, count(*) AS polls,
           count(*) FILTER (WHERE p.outcome = 'error' AND coalesce(p.error_kind, '') <> 'rate_limit') AS errors,
           count(*) FILTER (WHERE p.error_kind = 'rate_limit') AS rate_limited,
           count(*) FILTER (WHERE p.gap IS NOT NULL) AS gaps,
           (SELECT e.error FROM poll_log e WHERE e.source_key = p.source_key AND e.outcome = 'error' AND e.started_at >= $2
              AND e.started_at < $3 ORDER BY e.started_at DESC, e.id DESC LIMIT 1) AS last_error,
           (SELECT g.gap FROM poll_log g WHERE g.source_key = p.source_key AND g.gap IS NOT NULL AND g.started_at >= $2
              AND g.started_at < $3 ORDER BY g.started_at DESC, g.id DESC LIMIT 1) AS last_gap
         FROM poll_log p JOIN source_state s ON s.source_key = p.source_key
         WHERE s.brand = $1 AND p.started_at >= $2 AND p.started_at < $3 GROUP BY p.source_key ORDER BY p.source_key COLLATE "C"`,
        [brand, since, until],
      );
      return rows.map((r) => ({
        sourceKey: r.source_key,
        polls: r.polls,
        errors: r.errors,
        rateLimited: r.rate_limited,
        gaps: r.gaps,
        lastError: r.last_error,
        lastGap: r.last_gap,
      }));
    },
    async deliveriesByNotifier(status) {
      if (!DELIVERY_STATUSES.includes(status)) throw new RangeError(`unknown delivery status ${String(status)}`);
      const rows = await sql.rows<{ notifier: string; n: number }>('SELECT notifier, count(*) AS n FROM deliveries WHERE status = $1 GROUP BY notifier', [status]);
      return new Map(rows.map((r) => [r.notifier, r.n]));
    },
    async oldestPendingAt() {
      return (
        (await sql.one<{ at: string | null }>("SELECT min(a.created_at) AS at FROM deliveries d JOIN alerts a ON a.id = d.alert_id WHERE d.status = 'pending'"))
          ?.at ?? null
      );
    },
    async mentionsByBrand() {
      const rows = await sql.rows<{ brand: string; n: number }>('SELECT brand, count(*) AS n FROM mentions GROUP BY brand');
      return new Map(rows.map((r) => [r.brand, r.n]));
    },
    async activityBefore(at) {
      const row = await sql.one(
        'SELECT 1 AS n WHERE EXISTS (SELECT 1 FROM poll_log WHERE started_at < $1) OR EXISTS (SELECT 1 FROM mentions WHERE fetched_at < $1)',
        [at],
      );
      return row !== undefined;
    },
    async periodVolume(brand, since, until, bucketMs) {
      const rows = await sql.rows<{ bucket: number; n: number; neg: number; neu: number; pos: number; needs: number }>(
        `SELECT floor((extract(epoch FROM published_at) * 1000 - $4::numeric) / $5::numeric)::int AS bucket, count(*) AS n,
           count(*) FILTER (WHERE sentiment_label = 'negative') AS neg, count(*) FILTER (WHERE sentiment_label = 'neutral') AS neu,
           count(*) FILTER (WHERE sentiment_label = 'positive') AS pos, count(*) FILTER (WHERE ${NEEDS_REPLY}) AS needs
         ${PERIOD} GROUP BY 1 ORDER BY 1`,
        [brand, since, until, Date.parse(since), Math.max(1, Math.round(bucketMs))],
      );
      return rows.map((r) => ({ bucket: r.bucket, count: r.n, negative: r.neg, neutral: r.neu, positive: r.pos, needsReply: r.needs }));
    },
    async periodSources(brand, since, until) {
      const rows = await sql.rows<{ source: string; n: number }>(`SELECT source, count(*) AS n ${PERIOD} GROUP BY source`, [brand, since, until]);
      return rows.map((r) => ({ source: r.source, count: r.n }));
    },
    async periodTopAuthors(brand, since, until, limit) {
      const rows = await sql.rows<{ source: string; name: string; n: number; reach: number | null }>(
        `SELECT source, name, n, reach FROM (
           SELECT g.*, rank() OVER (ORDER BY n DESC, coalesce(reach, -1) DESC) AS rk FROM (${AUTHOR_GROUPS}) g
         ) ranked WHERE rk <= $4`,
        [brand, since, until, limit],
      );
      return authorRows(rows);
    },
    periodNeedingReply(brand, since, until, limit) {
      return mentionsByIds(
        sql,
        `SELECT id ${PERIOD} AND ${NEEDS_REPLY} ORDER BY urgency_score DESC, coalesce(reach, -1) DESC, published_at DESC, id LIMIT $4`,
        [brand, since, until, limit],
      );
    },
    periodTopReach(brand, since, until, limit) {
      return mentionsByIds(sql, `SELECT id ${PERIOD} AND reach > 0 ORDER BY reach DESC, id LIMIT $4`, [brand, since, until, limit]);
    },
    periodTextSample(brand, since, until, every) {
      return sql.rows<{ title: string; text: string }>(`SELECT title, text ${PERIOD} AND ${SAMPLE_HASH} % $4 = 0`, [
        brand,
        since,
        until,
        Math.max(1, Math.floor(every)),
      ]);
    },
    async periodVoices(brand, since, until) {
      const authors = authorRows(await sql.rows<{ source: string; name: string; n: number; reach: number | null }>(AUTHOR_GROUPS, [brand, since, until]));
      const unsigned = await sql.rows<{ url: string; source: string; reach: number | null }>(
        `SELECT url, source, reach ${PERIOD} AND author IS NULL AND url IS NOT NULL ORDER BY published_at, id`,
        [brand, since, until],
      );
      return { authors, unsigned };
    },
  };
}
