/** Per-source poll state and the poll log on PostgreSQL (semantics: src/store/types.ts SourceStateRepo). */
import type { PollSummary, SourceState, SourceStateRepo, SuccessUpdate } from '../types.js';
import { sourceStateFromRow, type SourceStateRow } from '../source-state.js';
import type { Sql } from './sql.js';

const COLUMNS =
  'source_key, brand, type, settings_hash, etag, last_modified, cursor, first_success_at, last_attempt_at, last_success_at, ' +
  'last_error_at, last_error, last_error_kind, consecutive_failures, next_poll_at, paused_reason, rate_remaining, rate_limit, ' +
  'rate_reset_at, last_gap, last_gap_at, created_at';


async function get(sql: Sql, key: string): Promise<SourceState | null> {
  const row = await sql.one<SourceStateRow>(`SELECT ${COLUMNS} FROM source_state WHERE source_key = $1`, [key]);
  return row ? sourceStateFromRow(row) : null;
}

async function recordSuccess(sql: Sql, key: string, u: SuccessUpdate): Promise<void> {
  const has = (value: unknown): boolean => value !== undefined;
  await sql.run(
    `UPDATE source_state SET
       etag = CASE WHEN $2::boolean THEN $3 ELSE etag END,
       last_modified = CASE WHEN $4::boolean THEN $5 ELSE last_modified END,
       cursor = CASE WHEN $6::boolean THEN $7 ELSE cursor END,
       first_success_at = coalesce(first_success_at, $8::timestamptz),
       last_attempt_at = $8, last_success_at = $8,
       consecutive_failures = 0, next_poll_at = $9, paused_reason = NULL,
       rate_remaining = CASE WHEN $10::boolean THEN $11::integer ELSE rate_remaining END,
       rate_limit = CASE WHEN $10::boolean THEN $12::integer ELSE rate_limit END,
       rate_reset_at = CASE WHEN $10::boolean THEN $13::timestamptz ELSE rate_reset_at END,
       last_gap = coalesce($14, last_gap),
       last_gap_at = CASE WHEN $14::text IS NOT NULL THEN $8::timestamptz ELSE last_gap_at END
     WHERE source_key = $1`,
    [
      key,
      has(u.cursor.etag),
      u.cursor.etag ?? null,
      has(u.cursor.lastModified),
      u.cursor.lastModified ?? null,
      has(u.cursor.cursor),
      u.cursor.cursor ?? null,
      u.at,
      u.nextPollAt,
      u.rateLimit !== undefined && u.rateLimit !== null,
      u.rateLimit?.remaining ?? null,
      u.rateLimit?.limit ?? null,
      u.rateLimit?.resetAt ?? null,
      u.gap ?? null,
    ],
  );
}

export function sourceStateRepo(sql: Sql): SourceStateRepo {
  return {
    get: (key) => get(sql, key),
    async list() {
      return (await sql.rows<SourceStateRow>(`SELECT ${COLUMNS} FROM source_state ORDER BY source_key COLLATE "C"`)).map(sourceStateFromRow);
    },
    ensure: (key, brand, type, settingsHash, now = new Date().toISOString()) =>
      sql.atomic(async (tx) => {
        await tx.run(
          `INSERT INTO source_state (source_key, brand, type, settings_hash, created_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (source_key) DO NOTHING`,
          [key, brand, type, settingsHash, now],
        );
        // Changed settings (another URL, another query) start the source afresh, as a new one would.
        await tx.run(
          `UPDATE source_state SET type = $2, settings_hash = $3, etag = NULL, last_modified = NULL, cursor = NULL,
             first_success_at = NULL, consecutive_failures = 0, next_poll_at = NULL, paused_reason = NULL
           WHERE source_key = $1 AND (settings_hash IS DISTINCT FROM $3 OR type <> $2)`,
          [key, type, settingsHash],
        );
        return (await get(tx, key))!;
      }),
    recordSuccess: (key, update) => recordSuccess(sql, key, update),
    async recordFailure(key, u) {
      await sql.run(
        `UPDATE source_state SET last_attempt_at = $2, last_error_at = $2, last_error = $3, last_error_kind = $4,
           consecutive_failures = consecutive_failures + 1, next_poll_at = $5, paused_reason = $6
         WHERE source_key = $1`,
        [key, u.at, u.error, u.kind, u.nextPollAt, u.pausedReason ?? null],
      );
    },
    async logPoll(e) {
      await sql.run(
        `INSERT INTO poll_log (source_key, started_at, duration_ms, outcome, fetched, stored, error, error_kind, gap)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [e.sourceKey, e.startedAt, Math.round(e.durationMs), e.outcome, e.fetched, e.stored, e.error ?? null, e.errorKind ?? null, e.gap ?? null],
      );
    },
    async pollSummarySince(since): Promise<PollSummary[]> {
      const rows = await sql.rows<{ source_key: string; polls: number; errors: number; fetched: number; stored: number; last_error: string | null; gaps: number }>(
        `SELECT p.source_key, count(*) AS polls, count(*) FILTER (WHERE p.outcome = 'error') AS errors,
           coalesce(sum(p.fetched), 0) AS fetched, coalesce(sum(p.stored), 0) AS stored,
           (SELECT e.error FROM poll_log e WHERE e.source_key = p.source_key AND e.outcome = 'error' AND e.started_at >= $1
            ORDER BY e.id DESC LIMIT 1) AS last_error,
           count(*) FILTER (WHERE p.gap IS NOT NULL) AS gaps
         FROM poll_log p WHERE p.started_at >= $1 GROUP BY p.source_key ORDER BY p.source_key COLLATE "C"`,
        [since],
      );
      return rows.map((r) => ({
        sourceKey: r.source_key,
        polls: r.polls,
        errors: r.errors,
        fetched: r.fetched,
        stored: r.stored,
        lastError: r.last_error,
        gaps: r.gaps,
      }));
    },
  };
}
