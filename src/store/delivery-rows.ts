/**
 * A deliveries row as both backends return it (the PostgreSQL pool reads bigint as numbers and
 * timestamptz as the ISO text SQLite keeps), its mapping to the Store's DeliveryRow, and the outbox summary built from rows.
 */
import type { DeliveryRow, DeliveryStatus, OutboxSummary, RetryKind } from './types.js';

export interface DeliveryDbRow {
  id: number;
  alert_id: number;
  notifier: string;
  target: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string;
  last_attempt_at: string | null;
  last_error: string | null;
  sent_at: string | null;
  ref: string | null;
  hold_reason: string | null;
  retry_kind: RetryKind | null;
  retry_streak: number;
}

export function deliveryFromRow(r: DeliveryDbRow): DeliveryRow {
  return {
    id: r.id,
    alertId: r.alert_id,
    notifier: r.notifier,
    target: r.target,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastAttemptAt: r.last_attempt_at,
    lastError: r.last_error,
    sentAt: r.sent_at,
    ref: r.ref,
    holdReason: r.hold_reason,
    retryKind: r.retry_kind,
    retryStreak: r.retry_streak,
  };
}

/** A delivery given up or skipped, as the outbox summary's query selects it. */
export interface FailureDbRow {
  id: number;
  notifier: string;
  target: string;
  last_error: string | null;
  last_attempt_at: string | null;
}

/** The outbox summary from its three queries' rows: deliveries per status, the oldest pending alert, recent failures. */
export function outboxSummaryOf(counts: ReadonlyArray<{ status: string; n: number }>, oldestPendingAt: string | null, failures: readonly FailureDbRow[]): OutboxSummary {
  const by = new Map(counts.map((c) => [c.status, c.n]));
  return {
    pending: by.get('pending') ?? 0,
    failed: by.get('failed') ?? 0,
    skipped: by.get('skipped') ?? 0,
    sent: by.get('sent') ?? 0,
    held: by.get('held') ?? 0,
    suppressed: by.get('suppressed') ?? 0,
    oldestPendingAt,
    recentFailures: failures.map((f) => ({ id: f.id, notifier: f.notifier, target: f.target, error: f.last_error, at: f.last_attempt_at })),
  };
}
