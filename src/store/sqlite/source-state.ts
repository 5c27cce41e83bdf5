/** Per-source poll state (validators, cursor, health, rate-limit budget) and the poll log. */
import type { FailureUpdate, PollLogEntry, PollSummary, SourceState, SuccessUpdate } from '../types.js';
import { sourceStateFromRow, type SourceStateRow } from '../source-state.js';
import { stmt, type Db } from './db.js';


export function getSourceState(db: Db, key: string): SourceState | null {
  const row = stmt<[string], SourceStateRow>(db, 'SELECT * FROM source_state WHERE source_key = ?').get(key);
  return row ? sourceStateFromRow(row) : null;
}

export function listSourceStates(db: Db): SourceState[] {
  return stmt<[], SourceStateRow>(db, 'SELECT * FROM source_state ORDER BY source_key').all().map(sourceStateFromRow);
}

/**
 * Makes sure a state row exists for the source and matches its current settings. When the
 * settings changed (another URL, another query) the cursor and first-success mark are reset: the
 * edited source starts afresh, as a new one would, so the edit really applies.
 */
export function ensureSourceState(db: Db, key: string, brand: string, type: string, settingsHash: string, now: string = new Date().toISOString()): SourceState {
  const existing = getSourceState(db, key);
  if (!existing) {
    stmt(db, 'INSERT INTO source_state (source_key, brand, type, settings_hash, created_at) VALUES (?, ?, ?, ?, ?)').run(
      key,
      brand,
      type,
      settingsHash,
      now,
    );
    return getSourceState(db, key)!;
  }
  if (existing.settingsHash !== settingsHash || existing.type !== type) {
    stmt(
      db,
      `UPDATE source_state SET type = ?, settings_hash = ?, etag = NULL, last_modified = NULL, cursor = NULL,
         first_success_at = NULL, consecutive_failures = 0, next_poll_at = NULL, paused_reason = NULL WHERE source_key = ?`,
    ).run(type, settingsHash, key);
    return getSourceState(db, key)!;
  }
  return existing;
}

export function recordSuccess(db: Db, key: string, u: SuccessUpdate): void {
  stmt(
    db,
    `UPDATE source_state SET
       etag = CASE WHEN @setEtag THEN @etag ELSE etag END,
       last_modified = CASE WHEN @setLastModified THEN @lastModified ELSE last_modified END,
       cursor = CASE WHEN @setCursor THEN @cursor ELSE cursor END,
       first_success_at = COALESCE(first_success_at, @at),
       last_attempt_at = @at, last_success_at = @at,
       consecutive_failures = 0, next_poll_at = @nextPollAt, paused_reason = NULL,
       rate_remaining = CASE WHEN @hasRate THEN @rateRemaining ELSE rate_remaining END,
       rate_limit = CASE WHEN @hasRate THEN @rateLimit ELSE rate_limit END,
       rate_reset_at = CASE WHEN @hasRate THEN @rateResetAt ELSE rate_reset_at END,
       last_gap = CASE WHEN @gap IS NOT NULL THEN @gap ELSE last_gap END,
       last_gap_at = CASE WHEN @gap IS NOT NULL THEN @at ELSE last_gap_at END
     WHERE source_key = @key`,
  ).run({
    key,
    at: u.at,
    setEtag: u.cursor.etag !== undefined ? 1 : 0,
    etag: u.cursor.etag ?? null,
    setLastModified: u.cursor.lastModified !== undefined ? 1 : 0,
    lastModified: u.cursor.lastModified ?? null,
    setCursor: u.cursor.cursor !== undefined ? 1 : 0,
    cursor: u.cursor.cursor ?? null,
    nextPollAt: u.nextPollAt,
    hasRate: u.rateLimit ? 1 : 0,
    rateRemaining: u.rateLimit?.remaining ?? null,
    rateLimit: u.rateLimit?.limit ?? null,
    rateResetAt: u.rateLimit?.resetAt ?? null,
    gap: u.gap ?? null,
  });
}

export function recordFailure(db: Db, key: string, u: FailureUpdate): void {
  stmt(
    db,
    `UPDATE source_state SET last_attempt_at = @at, last_error_at = @at, last_error = @error, last_error_kind = @kind,
       consecutive_failures = consecutive_failures + 1, next_poll_at = @nextPollAt, paused_reason = @pausedReason
     WHERE source_key = @key`,
  ).run({ key, at: u.at, error: u.error, kind: u.kind, nextPollAt: u.nextPollAt, pausedReason: u.pausedReason ?? null });
}

export function logPoll(db: Db, e: PollLogEntry): void {
  stmt(
    db,
    `INSERT INTO poll_log (source_key, started_at, duration_ms, outcome, fetched, stored, error, error_kind, gap)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(e.sourceKey, e.startedAt, Math.round(e.durationMs), e.outcome, e.fetched, e.stored, e.error ?? null, e.errorKind ?? null, e.gap ?? null);
}

/** Poll outcomes per source since a time: for status and the digest's source health. */
export function pollSummarySince(db: Db, since: string): PollSummary[] {
  return stmt<[{ since: string }], { source_key: string; polls: number; errors: number; fetched: number; stored: number; last_error: string | null; gaps: number }>(
    db,
    `SELECT source_key, COUNT(*) AS polls, SUM(outcome = 'error') AS errors, SUM(fetched) AS fetched, SUM(stored) AS stored,
       (SELECT error FROM poll_log p2 WHERE p2.source_key = p.source_key AND p2.outcome = 'error' AND p2.started_at >= @since
        ORDER BY p2.id DESC LIMIT 1) AS last_error,
       SUM(gap IS NOT NULL) AS gaps
     FROM poll_log p WHERE started_at >= @since GROUP BY source_key ORDER BY source_key`,
  )
    .all({ since })
    .map((r) => ({
      sourceKey: r.source_key,
      polls: r.polls,
      errors: r.errors,
      fetched: r.fetched,
      stored: r.stored,
      lastError: r.last_error,
      gaps: r.gaps,
    }));
}
