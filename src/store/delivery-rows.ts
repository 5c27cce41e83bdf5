/**
 * A deliveries row as both backends return it (the PostgreSQL pool reads bigint as numbers and
 * timestamptz as the ISO text SQLite keeps), and its mapping to the Store's DeliveryRow.
 */
import type { DeliveryRow, DeliveryStatus, RetryKind } from './types.js';

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
