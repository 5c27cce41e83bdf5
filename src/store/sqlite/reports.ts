/** Read-only aggregates on SQLite for status, digests and /metrics. */
import type { Mention } from '../../core/types.js';
import type {
  AlertedMentionRow,
  AlertSentRow,
  AlertState,
  DeliveryStatus,
  PeriodAuthorRow,
  PeriodVoices,
  PeriodVolumeRow,
  SourceHealthRow,
  UndeliveredRow,
} from '../types.js';
import { stmt, type Db } from './db.js';
import { getMentions } from './mentions.js';

export function alertsSent(db: Db, brand: string, since: string, until: string): AlertSentRow[] {
  const rows = stmt<[string, string, string], { id: number; created_at: string; rule: string; summary: string; total_mentions: number; dests: string | null }>(
    db,
    `SELECT a.id, a.created_at, a.rule, a.summary, a.total_mentions,
       (SELECT group_concat(dest, '\n') FROM (SELECT d.notifier || ' ' || d.target AS dest FROM deliveries d
          WHERE d.alert_id = a.id AND d.status = 'sent' ORDER BY d.id)) AS dests
     FROM alerts a WHERE a.brand = ? AND a.created_at >= ? AND a.created_at < ? ORDER BY a.created_at, a.id`,
  ).all(brand, since, until);
  return rows
    .filter((r) => r.dests)
    .map((r) => ({ id: r.id, createdAt: r.created_at, rule: r.rule, summary: r.summary, totalMentions: r.total_mentions, destinations: (r.dests ?? '').split('\n') }));
}

export function alertedMentions(db: Db, brand: string, since: string, until: string): AlertedMentionRow[] {
  return stmt<[string, string, string], { alert_id: number; rule: string; created_at: string; fetched_at: string }>(
    db,
    `SELECT a.id AS alert_id, a.rule, a.created_at, m.fetched_at FROM alerts a
       JOIN alert_mentions am ON am.alert_id = a.id JOIN mentions m ON m.id = am.mention_id
     WHERE a.brand = ? AND a.created_at >= ? AND a.created_at < ? ORDER BY a.id`,
  )
    .all(brand, since, until)
    .map((r) => ({ alertId: r.alert_id, rule: r.rule, alertCreatedAt: r.created_at, mentionFetchedAt: r.fetched_at }));
}

export function waitingByRule(db: Db, brand: string, before: string): Array<{ rule: string; count: number }> {
  return stmt<[string, string], { rule: string; n: number }>(
    db,
    `SELECT p.rule, COUNT(*) AS n FROM rule_pending p JOIN mentions m ON m.id = p.mention_id
     WHERE m.brand = ? AND p.added_at < ? GROUP BY p.rule ORDER BY p.rule`,
  )
    .all(brand, before)
    .map((r) => ({ rule: r.rule, count: r.n }));
}

export function undelivered(db: Db, brand: string, since: string, until: string): UndeliveredRow[] {
  // Why a delivery was kept back (budget, silence, quiet hours), else why it failed.
  const reason = 'coalesce(d.hold_reason, d.last_error)';
  return stmt<[string, string, string], { status: DeliveryStatus; notifier: string; target: string; reason: string | null; n: number }>(
    db,
    `SELECT d.status, d.notifier, d.target, ${reason} AS reason, COUNT(*) AS n FROM deliveries d JOIN alerts a ON a.id = d.alert_id
     WHERE a.brand = ? AND a.created_at >= ? AND a.created_at < ? AND d.status <> 'sent'
     GROUP BY d.status, d.notifier, d.target, ${reason} ORDER BY d.notifier, d.target`,
  )
    .all(brand, since, until)
    .map((r) => ({ status: r.status, notifier: r.notifier, target: r.target, reason: r.reason, count: r.n }));
}

export function quietMentionStates(db: Db, brand: string, since: string, until: string): Array<{ alertState: AlertState; count: number }> {
  return stmt<[string, string, string], { alert_state: AlertState; n: number }>(
    db,
    `SELECT alert_state, COUNT(*) AS n FROM mentions WHERE brand = ? AND published_at >= ? AND published_at < ?
       AND alert_state IN ('backfill', 'duplicate', 'quiet') GROUP BY alert_state ORDER BY alert_state`,
  )
    .all(brand, since, until)
    .map((r) => ({ alertState: r.alert_state, count: r.n }));
}

/** Two range scans of the brand's history in [since, until), however many voices the caller asks about. */
export function knownVoices(db: Db, brand: string, since: string, until: string): { authors: Set<string>; urls: string[] } {
  const authors = new Set<string>();
  const rows = stmt<[string, string, string], { source: string; author: string }>(
    db,
    `SELECT DISTINCT source, lower(trim(author)) AS author FROM mentions
     WHERE brand = ? AND published_at >= ? AND published_at < ? AND author IS NOT NULL`,
  ).all(brand, since, until);
  for (const r of rows) authors.add(`${r.source}\u0000${r.author}`);
  const urls = stmt<[string, string, string], { url: string }>(
    db,
    'SELECT url FROM mentions WHERE brand = ? AND published_at >= ? AND published_at < ? AND author IS NULL AND url IS NOT NULL',
  )
    .all(brand, since, until)
    .map((r) => r.url);
  return { authors, urls };
}

export function sourceHealth(db: Db, brand: string, since: string, until: string): SourceHealthRow[] {
  return stmt<
    [{ brand: string; since: string; until: string }],
    { source_key: string; polls: number; errors: number; rate_limited: number; gaps: number; last_error: string | null; last_gap: string | null }
  >(
    db,
    `SELECT p.source_key, COUNT(*) AS polls, SUM(p.outcome = 'error' AND coalesce(p.error_kind, '') <> 'rate_limit') AS errors,
       SUM(p.error_kind = 'rate_limit') AS rate_limited, SUM(p.gap IS NOT NULL) AS gaps,
       (SELECT error FROM poll_log e WHERE e.source_key = p.source_key AND e.outcome = 'error' AND e.started_at >= @since
          AND e.started_at < @until ORDER BY e.started_at DESC, e.id DESC LIMIT 1) AS last_error,
       (SELECT gap FROM poll_log g WHERE g.source_key = p.source_key AND g.gap IS NOT NULL AND g.started_at >= @since
          AND g.started_at < @until ORDER BY g.started_at DESC, g.id DESC LIMIT 1) AS last_gap
     FROM poll_log p JOIN source_state s ON s.source_key = p.source_key
     WHERE s.brand = @brand AND p.started_at >= @since AND p.started_at < @until GROUP BY p.source_key`,
  )
    .all({ brand, since, until })
    .map((r) => ({
      sourceKey: r.source_key,
      polls: r.polls,
      // SUM over rows whose condition is NULL (no error_kind) can be NULL in SQLite.
      errors: r.errors ?? 0,
      rateLimited: r.rate_limited ?? 0,
      gaps: r.gaps ?? 0,
      lastError: r.last_error,
      lastGap: r.last_gap,
    }));
}

const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'sent', 'failed', 'skipped', 'held', 'suppressed'];

export function deliveriesByNotifier(db: Db, status: DeliveryStatus): Map<string, number> {
  if (!DELIVERY_STATUSES.includes(status)) throw new RangeError(`unknown delivery status ${String(status)}`);
  // The status is written into the SQL (checked above) so SQLite can use the partial indexes on it.
  const rows = stmt<[], { notifier: string; n: number }>(db, `SELECT notifier, COUNT(*) AS n FROM deliveries WHERE status = '${status}' GROUP BY notifier`).all();
  return new Map(rows.map((r) => [r.notifier, r.n]));
}

export function oldestPendingAt(db: Db): string | null {
  return (
    stmt<[], { at: string | null }>(db, "SELECT MIN(a.created_at) AS at FROM deliveries d JOIN alerts a ON a.id = d.alert_id WHERE d.status = 'pending'").get()
      ?.at ?? null
  );
}

export function activityBefore(db: Db, at: string): boolean {
  return (
    stmt<[string], { n: number }>(db, 'SELECT 1 AS n FROM poll_log WHERE started_at < ? LIMIT 1').get(at) !== undefined ||
    stmt<[string], { n: number }>(db, 'SELECT 1 AS n FROM mentions WHERE fetched_at < ? LIMIT 1').get(at) !== undefined
  );
}

export function mentionsByBrand(db: Db): Map<string, number> {
  const rows = stmt<[], { brand: string; n: number }>(db, 'SELECT brand, COUNT(*) AS n FROM mentions GROUP BY brand').all();
  return new Map(rows.map((r) => [r.brand, r.n]));
}

// ------------------------------------------------------------------ a brand's mentions of a period

/**
 * Whether an urgency reason asks for a reply: one starts with "complaint" or "question to @". The
 * reasons are a JSON array written by JSON.stringify, so an element starts right after `[` or `,`
 * (a quote inside a reason is escaped, never preceded by those). This must stay the expression
 * that ends the index mentions_period (migration 011-period-indexes), written the same way: SQLite
 * then reads it from the index instead of each mention's row.
 */
const ASKS_FOR_REPLY = `(urgency_reasons GLOB '*[[,]"complaint*' OR urgency_reasons GLOB '*[[,]"question to @*')`;
/** "Needs a reply" (see PeriodVolumeRow in ../types.ts). */
const NEEDS_REPLY = `(CASE WHEN sentiment_label = 'negative' OR urgency_level IN ('high', 'critical') THEN 1 ELSE ${ASKS_FOR_REPLY} END)`;
/**
 * The period's mentions, read from mentions_period alone. INDEXED BY: with a GROUP BY on source
 * the planner otherwise walks the (brand, source, source_id) key in order and reads every row.
 */
const PERIOD = 'FROM mentions INDEXED BY mentions_period WHERE brand = @brand AND published_at >= @since AND published_at < @until AND duplicate_of IS NULL';

interface PeriodParams {
  brand: string;
  since: string;
  until: string;
}

export function periodVolume(db: Db, brand: string, since: string, until: string, bucketMs: number): PeriodVolumeRow[] {
  // Milliseconds since the epoch from the ISO text, in integers (BigInt binds as INTEGER; a JS
  // number would bind as REAL and the division would not truncate).
  const ms = "(unixepoch(published_at) * 1000 + CAST(substr(published_at, 21, 3) AS INTEGER))";
  return stmt<[PeriodParams & { start: bigint; size: bigint }], { bucket: number; n: number; neg: number; neu: number; pos: number; needs: number }>(
    db,
    `SELECT (${ms} - @start) / @size AS bucket, COUNT(*) AS n, SUM(sentiment_label = 'negative') AS neg, SUM(sentiment_label = 'neutral') AS neu,
       SUM(sentiment_label = 'positive') AS pos, SUM(${NEEDS_REPLY}) AS needs
     ${PERIOD} GROUP BY bucket ORDER BY bucket`,
  )
    .all({ brand, since, until, start: BigInt(Date.parse(since)), size: BigInt(Math.max(1, Math.round(bucketMs))) })
    .map((r) => ({ bucket: r.bucket, count: r.n, negative: r.neg, neutral: r.neu, positive: r.pos, needsReply: r.needs }));
}

export function periodSources(db: Db, brand: string, since: string, until: string): Array<{ source: string; count: number }> {
  return stmt<[PeriodParams], { source: string; n: number }>(db, `SELECT source, COUNT(*) AS n ${PERIOD} GROUP BY source`)
    .all({ brand, since, until })
    .map((r) => ({ source: r.source, count: r.n }));
}

/**
 * Authors grouped per (source, lower(trim(author))). The name is the spelling of the group's
 * earliest mention: the least "published_at id name" (published_at and the zero-padded id have
 * fixed widths and hold no space), and the name is what follows the second space.
 */
const AUTHOR_GROUPS = `SELECT source, COUNT(*) AS n, MAX(reach) AS reach, MIN(published_at || ' ' || printf('%015d', id) || ' ' || trim(author)) AS first
  ${PERIOD} AND trim(author) <> '' GROUP BY source, lower(trim(author))`;

interface AuthorGroup {
  source: string;
  first: string;
  n: number;
  reach: number | null;
}

function authorRows(rows: AuthorGroup[]): PeriodAuthorRow[] {
  return rows.map((r) => ({ source: r.source, name: r.first.slice(r.first.indexOf(' ', r.first.indexOf(' ') + 1) + 1), mentions: r.n, reach: r.reach }));
}

export function periodTopAuthors(db: Db, brand: string, since: string, until: string, limit: number): PeriodAuthorRow[] {
  // ORDER BY … LIMIT keeps only the first rows while grouping (RANK() over every group took
  // twice the CPU: 42,000 authors in a busy month); ties at the last place are fetched after.
  const params = { brand, since, until };
  const ranked = `SELECT source, first, n, reach FROM (${AUTHOR_GROUPS})`;
  const first = stmt<[PeriodParams & { limit: number }], AuthorGroup>(db, `${ranked} ORDER BY n DESC, coalesce(reach, -1) DESC LIMIT @limit`).all({
    ...params,
    limit: limit + 1,
  });
  const last = first[limit - 1];
  const next = first[limit];
  if (!last || !next || next.n !== last.n || (next.reach ?? -1) !== (last.reach ?? -1)) return authorRows(first.slice(0, limit));
  const tied = stmt<[PeriodParams & { n: number; reach: number }], AuthorGroup>(
    db,
    `${ranked} WHERE n > @n OR (n = @n AND coalesce(reach, -1) >= @reach)`,
  ).all({ ...params, n: last.n, reach: last.reach ?? -1 });
  return authorRows(tied);
}

export function periodNeedingReply(db: Db, brand: string, since: string, until: string, limit: number): Mention[] {
  const ids = stmt<[PeriodParams & { limit: number }], { id: number }>(
    db,
    `SELECT id ${PERIOD} AND ${NEEDS_REPLY} ORDER BY urgency_score DESC, coalesce(reach, -1) DESC, published_at DESC, id LIMIT @limit`,
  )
    .all({ brand, since, until, limit })
    .map((r) => r.id);
  return getMentions(db, ids);
}

export function periodTopReach(db: Db, brand: string, since: string, until: string, limit: number): Mention[] {
  const ids = stmt<[PeriodParams & { limit: number }], { id: number }>(db, `SELECT id ${PERIOD} AND reach > 0 ORDER BY reach DESC, id LIMIT @limit`)
    .all({ brand, since, until, limit })
    .map((r) => r.id);
  return getMentions(db, ids);
}

/**
 * A multiplicative hash of the id modulo a prime (the product stays within 64 bits), so "one in N"
 * does not follow a pattern in how ids were handed out (brands polled in turn). The same in
 * store/pg/reports.ts.
 */
const SAMPLE_HASH = '((id % 4294967291) * 1103515245) % 4294967291';

export function periodTextSample(db: Db, brand: string, since: string, until: string, every: number): Array<{ title: string; text: string }> {
  return stmt<[PeriodParams & { every: number }], { title: string; text: string }>(
    db,
    `SELECT title, text ${PERIOD} AND ${SAMPLE_HASH} % @every = 0`,
  ).all({ brand, since, until, every: Math.max(1, Math.floor(every)) });
}

export function periodVoices(db: Db, brand: string, since: string, until: string): PeriodVoices {
  const params = { brand, since, until };
  const authors = authorRows(stmt<[PeriodParams], AuthorGroup>(db, AUTHOR_GROUPS).all(params));
  const unsigned = stmt<[PeriodParams], { url: string; source: string; reach: number | null }>(
    db,
    `SELECT url, source, reach ${PERIOD} AND author IS NULL AND url IS NOT NULL ORDER BY published_at, id`,
  ).all(params);
  return { authors, unsigned };
}
