/**
 * A source_state row as both backends return it (the PostgreSQL pool converts bigint to numbers and
 * timestamptz to the same ISO text SQLite keeps), and its mapping to the Store's SourceState.
 */
import type { SourceState } from './types.js';

export interface SourceStateRow {
  source_key: string;
  brand: string;
  type: string;
  settings_hash: string | null;
  etag: string | null;
  last_modified: string | null;
  cursor: string | null;
  first_success_at: string | null;
  last_attempt_at: string | null;
  last_success_at: string | null;
  last_error_at: string | null;
  last_error: string | null;
  last_error_kind: string | null;
  consecutive_failures: number;
  next_poll_at: string | null;
  paused_reason: string | null;
  rate_remaining: number | null;
  rate_limit: number | null;
  rate_reset_at: string | null;
  last_gap: string | null;
  last_gap_at: string | null;
  created_at: string | null;
}

export function sourceStateFromRow(r: SourceStateRow): SourceState {
  return {
    sourceKey: r.source_key,
    brand: r.brand,
    type: r.type,
    settingsHash: r.settings_hash,
    etag: r.etag,
    lastModified: r.last_modified,
    cursor: r.cursor,
    firstSuccessAt: r.first_success_at,
    lastAttemptAt: r.last_attempt_at,
    lastSuccessAt: r.last_success_at,
    lastErrorAt: r.last_error_at,
    lastError: r.last_error,
    lastErrorKind: r.last_error_kind,
    consecutiveFailures: r.consecutive_failures,
    nextPollAt: r.next_poll_at,
    pausedReason: r.paused_reason,
    rateRemaining: r.rate_remaining,
    rateLimit: r.rate_limit,
    rateResetAt: r.rate_reset_at,
    lastGap: r.last_gap,
    lastGapAt: r.last_gap_at,
    createdAt: r.created_at,
  };
}
