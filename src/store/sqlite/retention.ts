/** Retention's deletions on SQLite (the policy and schedule: ../retention.ts). */
import { setMeta, stmt, type Db } from './db.js';

export function setHorizon(db: Db, horizon: string | null): void {
  // The trigger of migration 003-ops reads this key: a mention published before it is not stored.
  setMeta(db, 'retention.horizon', horizon);
}

export function pruneAlerts(db: Db, horizon: string, limit: number): number {
  return db
    .transaction(
      () =>
        stmt(
          db,
          `DELETE FROM alerts WHERE id IN (
             SELECT a.id FROM alerts a WHERE a.created_at < ?
               AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = a.id AND d.status IN ('pending', 'held'))
             ORDER BY a.created_at LIMIT ?)`,
        ).run(horizon, limit).changes,
    )
    .immediate();
}

/** Ids of up to `limit` mentions older than the horizon that no pending delivery still needs. */
function doomedMentions(db: Db, horizon: string, limit: number): number[] {
  return stmt<[string, number], { id: number }>(
    db,
    `SELECT m.id FROM mentions m WHERE m.published_at < ?
       AND NOT EXISTS (
         SELECT 1 FROM alert_mentions am JOIN deliveries d ON d.alert_id = am.alert_id
         WHERE am.mention_id = m.id AND d.status IN ('pending', 'held'))
     ORDER BY m.published_at LIMIT ?`,
  )
    .all(horizon, limit)
    .map((r) => r.id);
}

/** Deletes up to `limit` doomed mentions (their FTS entries, rule state and alert links cascade). */
export function pruneMentions(db: Db, horizon: string, limit: number): number {
  return db
    .transaction(() => {
      const ids = doomedMentions(db, horizon, limit);
      if (ids.length === 0) return 0;
      const list = JSON.stringify(ids);
      // duplicate_of has no ON DELETE action: unlink newer duplicates that stay.
      stmt(
        db,
        `UPDATE mentions SET duplicate_of = NULL
         WHERE duplicate_of IN (SELECT value FROM json_each(@ids)) AND id NOT IN (SELECT value FROM json_each(@ids))`,
      ).run({ ids: list });
      return stmt(db, 'DELETE FROM mentions WHERE id IN (SELECT value FROM json_each(?))').run(list).changes;
    })
    .immediate();
}

export function prunePollLog(db: Db, before: string, limit: number): number {
  return stmt(db, 'DELETE FROM poll_log WHERE id IN (SELECT id FROM poll_log WHERE started_at < ? LIMIT ?)').run(before, limit).changes;
}

export function compact(db: Db, fullText: boolean): void {
  // Merges the full-text index's segments, dropping the deleted entries' space.
  if (fullText) stmt(db, "INSERT INTO mentions_fts (mentions_fts) VALUES ('optimize')").run();
  // Hands the write-ahead log's space back; a busy reader just makes this a no-op.
  db.pragma('wal_checkpoint(TRUNCATE)');
}
