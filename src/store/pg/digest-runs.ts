/**
 * digest_runs on PostgreSQL (semantics: src/store/types.ts DigestRunRepo). A period is claimed
 * with one conditional UPDATE, so of several nodes reaching the same period at once exactly one
 * gets it; a claim older than `staleBefore` belongs to a node that died mid-send and is taken over.
 */
import type { DigestRun, DigestRunRepo } from '../types.js';
import { digestRunFromRow, type DigestRunColumns } from '../digest-run-rows.js';
import type { Sql } from './sql.js';

type Row = DigestRunColumns<string[]>;

const COLUMNS = 'digest, period_end, period_start, status, attempts, next_attempt_at, claimed_at, last_error, sent_at, message_id, recipients, created_at';

function fromRow(r: Row): DigestRun {
  return digestRunFromRow(r, (list) => list);
}

export function digestRunRepo(sql: Sql): DigestRunRepo {
  return {
    async get(digest, periodEnd) {
      const row = await sql.one<Row>(`SELECT ${COLUMNS} FROM digest_runs WHERE digest = $1 AND period_end = $2`, [digest, periodEnd]);
      return row ? fromRow(row) : null;
    },
    async list(digest) {
      const rows = digest
        ? await sql.rows<Row>(`SELECT ${COLUMNS} FROM digest_runs WHERE digest = $1 ORDER BY period_end`, [digest])
        : await sql.rows<Row>(`SELECT ${COLUMNS} FROM digest_runs ORDER BY digest COLLATE "C", period_end`);
      return rows.map(fromRow);
    },
    claim: (digest, periodStart, periodEnd, now, staleBefore) =>
      sql.atomic(async (tx) => {
        await tx.run(
          `INSERT INTO digest_runs (digest, period_end, period_start, status, next_attempt_at, created_at)
           VALUES ($1, $2, $3, 'pending', $4, $4) ON CONFLICT (digest, period_end) DO NOTHING`,
          [digest, periodEnd, periodStart, now],
        );
        const row = await tx.one<Row>(
          `UPDATE digest_runs SET claimed_at = $3 WHERE digest = $1 AND period_end = $2 AND status = 'pending'
             AND next_attempt_at <= $3 AND (claimed_at IS NULL OR claimed_at < $4) RETURNING ${COLUMNS}`,
          [digest, periodEnd, now, staleBefore],
        );
        return row ? fromRow(row) : null;
      }),
    async recordMissed(digest, periodStart, periodEnd, now, reason) {
      const n = await sql.run(
        `INSERT INTO digest_runs (digest, period_end, period_start, status, next_attempt_at, last_error, created_at)
         VALUES ($1, $2, $3, 'missed', $4, $5, $4) ON CONFLICT (digest, period_end) DO NOTHING`,
        [digest, periodEnd, periodStart, now, reason],
      );
      return n === 1;
    },
    async markSent(digest, periodEnd, at, messageId, recipients) {
      await sql.run(
        `UPDATE digest_runs SET status = 'sent', sent_at = $3, message_id = $4, recipients = $5, attempts = attempts + 1,
           claimed_at = NULL, last_error = NULL WHERE digest = $1 AND period_end = $2`,
        [digest, periodEnd, at, messageId, JSON.stringify(recipients)],
      );
    },
    async markSkipped(digest, periodEnd, at, reason) {
      await sql.run(
        "UPDATE digest_runs SET status = 'skipped', sent_at = $3, last_error = $4, claimed_at = NULL WHERE digest = $1 AND period_end = $2",
        [digest, periodEnd, at, reason],
      );
    },
    async markAttemptFailed(digest, periodEnd, error, nextAt, final) {
      await sql.run(
        `UPDATE digest_runs SET attempts = attempts + 1, last_error = $3, next_attempt_at = $4, claimed_at = NULL,
           status = CASE WHEN $5::boolean THEN 'failed' ELSE status END WHERE digest = $1 AND period_end = $2`,
        [digest, periodEnd, error, nextAt, final],
      );
    },
    async pending() {
      return (await sql.rows<Row>(`SELECT ${COLUMNS} FROM digest_runs WHERE status = 'pending' ORDER BY next_attempt_at`)).map(fromRow);
    },
  };
}
