/** Read-only aggregates on SQLite for status, digests and /metrics. */
import type { AlertedMentionRow, AlertSentRow, AlertState, DeliveryStatus, SourceHealthRow, UndeliveredRow } from '../types.js';
import { stmt, type Db } from './db.js';

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
