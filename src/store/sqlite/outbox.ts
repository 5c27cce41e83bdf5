/**
 * The alert outbox. An alert and one delivery row per destination are written in one
 * transaction BEFORE anything is sent; a delivery is marked sent only after the service accepted
 * it. A crash at any point leaves either no alert (rules run again on the same mentions) or a
 * pending delivery that the next run sends. `alert_mentions` has (rule, mention_id) as its primary
 * key, so the same mention can never produce two alerts for one rule.
 */
import { deliveryFromRow, outboxSummaryOf, type DeliveryDbRow, type FailureDbRow } from '../delivery-rows.js';
import type { FailedSettings } from '../outbox-report.js';
import type {
  AlertRow,
  DeliveryFilter,
  DeliveryListing,
  DeliveryRow,
  NewAlert,
  OutboxSummary,
  RequeueFilter,
  RetryMark,
} from '../types.js';
import { stmt, type Db } from './db.js';

/**
 * Writes an alert with its deliveries. Returns the alert id, or null when every mention was
 * already alerted for this rule (nothing new to say). Runs in a transaction (a savepoint inside the caller's).
 */
export function insertAlert(db: Db, a: NewAlert): number | null {
  return db.transaction(() => insertAlertRows(db, a)).immediate();
}

function insertAlertRows(db: Db, a: NewAlert): number | null {
  const claimed: number[] = [];
  const exists = stmt<[string, number]>(db, 'SELECT 1 FROM alert_mentions WHERE rule = ? AND mention_id = ?');
  for (const id of a.mentionIds) if (!exists.get(a.rule, id)) claimed.push(id);
  if (a.mentionIds.length > 0 && claimed.length === 0) return null;
  const result = stmt(
    db,
    `INSERT INTO alerts (rule, rule_hash, rule_type, group_key, brand, summary, details, total_mentions, created_at, sample_mention_ids)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    a.rule,
    a.ruleHash,
    a.ruleType,
    a.groupKey,
    a.brand,
    a.summary,
    JSON.stringify(a.details),
    a.totalMentions,
    a.createdAt,
    JSON.stringify(a.sampleMentionIds ?? []),
  );
  const alertId = Number(result.lastInsertRowid);
  const link = stmt(db, 'INSERT INTO alert_mentions (rule, mention_id, alert_id) VALUES (?, ?, ?)');
  for (const id of claimed) link.run(a.rule, id, alertId);
  const deliver = stmt(
    db,
    `INSERT INTO deliveries (alert_id, notifier, target, status, next_attempt_at, last_error, hold_reason) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  );
  for (const d of a.deliveries) {
    deliver.run(alertId, d.notifier, d.target, d.status ?? 'pending', d.notBefore ?? a.createdAt, d.error ?? null, d.holdReason ?? null);
  }
  return alertId;
}

export function getAlert(db: Db, id: number): AlertRow | null {
  const row = stmt<
    [number],
    {
      id: number;
      rule: string;
      rule_hash: string;
      rule_type: string;
      group_key: string;
      brand: string;
      summary: string;
      details: string;
      total_mentions: number;
      created_at: string;
      sample_mention_ids: string;
    }
  >(db, 'SELECT * FROM alerts WHERE id = ?').get(id);
  if (!row) return null;
  const mentionIds = stmt<[number], { mention_id: number }>(db, 'SELECT mention_id FROM alert_mentions WHERE alert_id = ? ORDER BY mention_id')
    .all(id)
    .map((r) => r.mention_id);
  return {
    id: row.id,
    rule: row.rule,
    ruleHash: row.rule_hash,
    ruleType: row.rule_type,
    groupKey: row.group_key,
    brand: row.brand,
    summary: row.summary,
    details: JSON.parse(row.details) as string[],
    totalMentions: row.total_mentions,
    createdAt: row.created_at,
    mentionIds,
    sampleMentionIds: JSON.parse(row.sample_mention_ids) as number[],
  };
}

export function deliveriesOf(db: Db, alertId: number): DeliveryRow[] {
  return stmt<[number], DeliveryDbRow>(db, 'SELECT * FROM deliveries WHERE alert_id = ? ORDER BY id').all(alertId).map(deliveryFromRow);
}

/** Held deliveries whose time has come (quiet hours over) become pending. Returns how many. */
export function releaseHeld(db: Db, now: string): number {
  return stmt(db, "UPDATE deliveries SET status = 'pending' WHERE status = 'held' AND next_attempt_at <= ?").run(now).changes;
}

/** Alerts that counted against a destination's budget since `since` (sent or on their way). */
export function countDeliveriesSince(db: Db, notifier: string, target: string, since: string): number {
  const row = stmt<[string, string, string], { n: number }>(
    db,
    `SELECT COUNT(*) AS n FROM deliveries d JOIN alerts a ON a.id = d.alert_id
     WHERE d.notifier = ? AND d.target = ? AND d.status IN ('pending', 'sent', 'held', 'failed') AND a.created_at > ?`,
  ).get(notifier, target, since);
  return row?.n ?? 0;
}

/**
 * The Slack message a later alert of the same rule and group should reply to: the first one
 * delivered to the same channel since `since` (threads are kept to a day, so old threads are not revived).
 */
export function threadRoot(db: Db, rule: string, groupKey: string, notifier: string, target: string, since: string): string | null {
  const row = stmt<[string, string, string, string, string], { ref: string | null }>(
    db,
    `SELECT d.ref FROM deliveries d JOIN alerts a ON a.id = d.alert_id
     WHERE a.rule = ? AND a.group_key = ? AND d.notifier = ? AND d.target = ? AND d.status = 'sent' AND d.ref IS NOT NULL
       AND a.created_at > ?
     ORDER BY d.id LIMIT 1`,
  ).get(rule, groupKey, notifier, target, since);
  return row?.ref ?? null;
}

/**
 * Deliveries that may be attempted now: for each destination only its oldest pending delivery
 * (per-destination order is kept: a delivery waiting out a Retry-After holds the ones behind it),
 * and only when that one is due.
 */
export function dueDeliveries(db: Db, now: string): DeliveryRow[] {
  return stmt<[string], DeliveryDbRow>(
    db,
    `SELECT d.* FROM deliveries d
     JOIN (SELECT notifier, target, MIN(id) AS id FROM deliveries WHERE status = 'pending' GROUP BY notifier, target) head
       ON head.id = d.id
     WHERE d.next_attempt_at <= ? ORDER BY d.id`,
  )
    .all(now)
    .map(deliveryFromRow);
}

/**
 * The earliest time a delivery becomes due: the head of a destination's queue, or a held one.
 * Pending deliveries behind a head wait for it, so their (past) times do not count: counting them
 * woke the daemon every few milliseconds while a head waited out a long back-off.
 */
export function nextDeliveryAt(db: Db): string | null {
  const row = stmt<[], { at: string | null }>(
    db,
    `SELECT MIN(at) AS at FROM (
       SELECT d.next_attempt_at AS at FROM deliveries d
       JOIN (SELECT MIN(id) AS id FROM deliveries WHERE status = 'pending' GROUP BY notifier, target) head ON head.id = d.id
       UNION ALL
       SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'held')`,
  ).get();
  return row?.at ?? null;
}

/** Deliveries by status (and rule, notifier), oldest first. */
export function listDeliveries(db: Db, filter: DeliveryFilter): DeliveryListing[] {
  const where = [`d.status IN (${filter.statuses.map(() => '?').join(', ')})`];
  const params: unknown[] = [...filter.statuses];
  if (filter.rule !== undefined) {
    where.push('a.rule = ?');
    params.push(filter.rule);
  }
  if (filter.notifier !== undefined) {
    where.push('d.notifier = ?');
    params.push(filter.notifier);
  }
  if (filter.headsOnly) {
    where.push("d.id IN (SELECT MIN(id) FROM deliveries WHERE status = 'pending' GROUP BY notifier, target)");
  }
  const limit = filter.limit ? ` LIMIT ${Math.floor(filter.limit)}` : '';
  const rows = db
    .prepare(
      `SELECT d.*, a.rule, a.brand, a.summary, a.created_at AS alert_created_at FROM deliveries d JOIN alerts a ON a.id = d.alert_id
       WHERE ${where.join(' AND ')} ORDER BY d.id${limit}`,
    )
    .all(...params) as Array<DeliveryDbRow & { rule: string; brand: string; summary: string; alert_created_at: string; failed_settings: string | null }>;
  return rows.map((r) => ({ ...deliveryFromRow(r), rule: r.rule, brand: r.brand, summary: r.summary, alertCreatedAt: r.alert_created_at, failedSettings: r.failed_settings }));
}

export function markSent(db: Db, id: number, at: string, ref: string | null): void {
  stmt(db, "UPDATE deliveries SET status = 'sent', sent_at = ?, last_attempt_at = ?, attempts = attempts + 1, ref = ?, last_error = NULL WHERE id = ?").run(
    at,
    at,
    ref,
    id,
  );
}

export function markRetry(db: Db, id: number, mark: RetryMark): void {
  stmt(
    db,
    'UPDATE deliveries SET attempts = attempts + 1, last_attempt_at = ?, next_attempt_at = ?, last_error = ?, retry_kind = ?, retry_streak = ? WHERE id = ?',
  ).run(mark.at, mark.nextAt, mark.error, mark.kind, mark.streak, id);
}

/** `settings`: the notifier's settings fingerprint now (notifiers/settings.ts), to offer a retry once they change. */
export function markFailed(db: Db, id: number, at: string, error: string, settings: string | null = null): void {
  stmt(db, "UPDATE deliveries SET status = 'failed', attempts = attempts + 1, last_attempt_at = ?, last_error = ?, failed_settings = ? WHERE id = ?").run(
    at,
    error,
    settings,
    id,
  );
}

/**
 * Makes matching deliveries due now with a fresh back-off (`earshot outbox retry`). Per
 * destination the oldest goes first, as always. Returns how many.
 */
export function requeueDeliveries(db: Db, filter: RequeueFilter, now: string): number {
  const where = [`d.status IN (${filter.statuses.map(() => '?').join(', ')})`];
  const params: unknown[] = [...filter.statuses];
  if (filter.rule !== undefined) {
    where.push('d.alert_id IN (SELECT id FROM alerts WHERE rule = ?)');
    params.push(filter.rule);
  }
  if (filter.notifier !== undefined) {
    where.push('d.notifier = ?');
    params.push(filter.notifier);
  }
  return db
    .prepare(
      `UPDATE deliveries AS d SET status = 'pending', next_attempt_at = ?, retry_kind = NULL, retry_streak = 0, failed_settings = NULL
       WHERE ${where.join(' AND ')}`,
    )
    .run(now, ...params).changes;
}

/** Rule names that have alerts in the outbox, sorted. */
export function outboxRules(db: Db): string[] {
  return stmt<[], { rule: string }>(db, 'SELECT DISTINCT rule FROM alerts ORDER BY rule')
    .all()
    .map((r) => r.rule);
}

/** Failed deliveries per notifier and the settings fingerprint they failed with. */
export function failedSettings(db: Db): FailedSettings[] {
  return stmt<[], FailedSettings>(
    db,
    "SELECT notifier, failed_settings AS settings, COUNT(*) AS count FROM deliveries WHERE status = 'failed' AND failed_settings IS NOT NULL GROUP BY notifier, failed_settings",
  ).all();
}

export function outboxSummary(db: Db, since: string): OutboxSummary {
  const counts = stmt<[string], { status: string; n: number }>(
    db,
    `SELECT status, COUNT(*) AS n FROM deliveries d JOIN alerts a ON a.id = d.alert_id
     WHERE d.status IN ('pending', 'held') OR a.created_at >= ? GROUP BY status`,
  ).all(since);
  const oldest = stmt<[], { at: string | null }>(
    db,
    "SELECT MIN(a.created_at) AS at FROM deliveries d JOIN alerts a ON a.id = d.alert_id WHERE d.status = 'pending'",
  ).get();
  const failures = stmt<[string], FailureDbRow>(
    db,
    `SELECT d.id, d.notifier, d.target, d.last_error, d.last_attempt_at FROM deliveries d JOIN alerts a ON a.id = d.alert_id
     WHERE d.status IN ('failed', 'skipped') AND a.created_at >= ? ORDER BY d.id DESC LIMIT 5`,
  ).all(since);
  return outboxSummaryOf(counts, oldest?.at ?? null, failures);

}
