/**
 * A digest_runs row as both backends return it, and its one mapping to the Store's DigestRun.
 * `recipients` is JSON: text from SQLite, the parsed list from PostgreSQL (jsonb), so each store
 * passes its decoder.
 */
import type { DigestRun, DigestRunStatus } from './types.js';

export interface DigestRunColumns<Recipients> {
  digest: string;
  period_end: string;
  period_start: string;
  status: DigestRunStatus;
  attempts: number;
  next_attempt_at: string;
  claimed_at: string | null;
  last_error: string | null;
  sent_at: string | null;
  message_id: string | null;
  recipients: Recipients;
  created_at: string;
}

export function digestRunFromRow<Recipients>(r: DigestRunColumns<Recipients>, recipients: (value: Recipients) => string[]): DigestRun {
  return {
    digest: r.digest,
    periodEnd: r.period_end,
    periodStart: r.period_start,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    claimedAt: r.claimed_at,
    lastError: r.last_error,
    sentAt: r.sent_at,
    messageId: r.message_id,
    recipients: recipients(r.recipients),
    createdAt: r.created_at,
  };
}
