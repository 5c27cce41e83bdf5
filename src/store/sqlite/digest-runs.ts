/**
 * digest_runs on SQLite: one row per (digest, period end). A period is claimed before its digest
 * is built and sent, and marked sent only after the SMTP server accepted the message, so two
 * processes (or a restart) never both send it and a failed send is retried. A claim older than
 * the caller's `staleBefore` belongs to a process that died mid-send and may be taken over.
 */
import type { DigestRun } from '../types.js';
import { digestRunFromRow, type DigestRunColumns } from '../digest-run-rows.js';
import { stmt, type Db } from './db.js';

type Row = DigestRunColumns<string>;

function fromRow(r: Row): DigestRun {
  return digestRunFromRow(r, (text) => JSON.parse(text) as string[]);
}

export function getRun(db: Db, digest: string, periodEnd: string): DigestRun | null {
  const row = stmt<[string, string], Row>(db, 'SELECT * FROM digest_runs WHERE digest = ? AND period_end = ?').get(digest, periodEnd);
  return row ? fromRow(row) : null;
}

export function listRuns(db: Db, digest?: string): DigestRun[] {
  const rows = digest
    ? stmt<[string], Row>(db, 'SELECT * FROM digest_runs WHERE digest = ? ORDER BY period_end').all(digest)
    : stmt<[], Row>(db, 'SELECT * FROM digest_runs ORDER BY digest, period_end').all();
  return rows.map(fromRow);
}

/**
 * Claims the period for this process: creates its row when absent, and takes it when it is
 * pending, due, and not claimed by a live sender. Returns the run, or null when it is not ours.
 */
export function claimRun(db: Db, digest: string, periodStart: string, periodEnd: string, at: string, stale: string): DigestRun | null {
  return db
    .transaction(() => {
      stmt(
        db,
        `INSERT INTO digest_runs (digest, period_end, period_start, status, next_attempt_at, created_at)
         VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT (digest, period_end) DO NOTHING`,
      ).run(digest, periodEnd, periodStart, at, at);
      const taken = stmt(
        db,
        `UPDATE digest_runs SET claimed_at = ? WHERE digest = ? AND period_end = ? AND status = 'pending'
           AND next_attempt_at <= ? AND (claimed_at IS NULL OR claimed_at < ?)`,
      ).run(at, digest, periodEnd, at, stale);
      return taken.changes === 1 ? getRun(db, digest, periodEnd) : null;
    })
    .immediate();
}

/** Records a period that was missed (earshot was down past its catch-up window). */
export function recordMissed(db: Db, digest: string, periodStart: string, periodEnd: string, at: string, reason: string): boolean {
  return (
    stmt(
      db,
      `INSERT INTO digest_runs (digest, period_end, period_start, status, next_attempt_at, last_error, created_at)
       VALUES (?, ?, ?, 'missed', ?, ?, ?) ON CONFLICT (digest, period_end) DO NOTHING`,
    ).run(digest, periodEnd, periodStart, at, reason, at).changes === 1
  );
}

export function markRunSent(db: Db, digest: string, periodEnd: string, at: string, messageId: string | null, recipients: readonly string[]): void {
  stmt(
    db,
    `UPDATE digest_runs SET status = 'sent', sent_at = ?, message_id = ?, recipients = ?, attempts = attempts + 1,
       claimed_at = NULL, last_error = NULL WHERE digest = ? AND period_end = ?`,
  ).run(at, messageId, JSON.stringify(recipients), digest, periodEnd);
}

export function markRunSkipped(db: Db, digest: string, periodEnd: string, at: string, reason: string): void {
  stmt(db, `UPDATE digest_runs SET status = 'skipped', sent_at = ?, last_error = ?, claimed_at = NULL WHERE digest = ? AND period_end = ?`).run(
    at,
    reason,
    digest,
    periodEnd,
  );
}

/** A failed attempt: retried at `nextAt`, or given up for good (`final`). */
export function markRunAttemptFailed(db: Db, digest: string, periodEnd: string, error: string, nextAt: string, final: boolean): void {
  stmt(
    db,
    `UPDATE digest_runs SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, claimed_at = NULL,
       status = CASE WHEN ? THEN 'failed' ELSE status END WHERE digest = ? AND period_end = ?`,
  ).run(error, nextAt, final ? 1 : 0, digest, periodEnd);
}

/** Pending runs (retries waiting), for the next wake-up time. */
export function pendingRuns(db: Db): DigestRun[] {
  return stmt<[], Row>(db, "SELECT * FROM digest_runs WHERE status = 'pending' ORDER BY next_attempt_at").all().map(fromRow);
}
