/** Retention's deletions and the meta table on PostgreSQL (the policy and schedule: ../retention.ts). */
import type { MetaRepo, RetentionRepo } from '../types.js';
import type { Sql } from './sql.js';

export function metaRepo(sql: Sql): MetaRepo {
  return {
    async get(key) {
      return (await sql.one<{ value: string | null }>('SELECT value FROM meta WHERE key = $1', [key]))?.value ?? null;
    },
    async set(key, value) {
      await sql.run('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    },
  };
}

export function retentionRepo(sql: Sql): RetentionRepo {
  return {
    async setHorizon(horizon) {
      // The trigger of migration 003-ops reads this key: a mention published before it is not stored.
      await metaRepo(sql).set('retention.horizon', horizon);
    },
    pruneAlerts: (horizon, limit) =>
      sql.run(
        `DELETE FROM alerts WHERE id IN (
           SELECT a.id FROM alerts a WHERE a.created_at < $1
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = a.id AND d.status IN ('pending', 'held'))
           ORDER BY a.created_at LIMIT $2)`,
        [horizon, limit],
      ),
    pruneMentions: (horizon, limit) =>
      sql.atomic(async (tx) => {
        const ids = (
          await tx.rows<{ id: number }>(
            `SELECT m.id FROM mentions m WHERE m.published_at < $1
               AND NOT EXISTS (
                 SELECT 1 FROM alert_mentions am JOIN deliveries d ON d.alert_id = am.alert_id
                 WHERE am.mention_id = m.id AND d.status IN ('pending', 'held'))
             ORDER BY m.published_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
            [horizon, limit],
          )
        ).map((r) => r.id);
        if (ids.length === 0) return 0;
        // duplicate_of has no ON DELETE action: unlink newer duplicates that stay.
        await tx.run('UPDATE mentions SET duplicate_of = NULL WHERE duplicate_of = ANY($1::bigint[]) AND NOT (id = ANY($1::bigint[]))', [ids]);
        return tx.run('DELETE FROM mentions WHERE id = ANY($1::bigint[])', [ids]);
      }),
    prunePollLog: (before, limit) =>
      sql.run('DELETE FROM poll_log WHERE id IN (SELECT id FROM poll_log WHERE started_at < $1 LIMIT $2)', [before, limit]),
    // Autovacuum reclaims deleted rows on PostgreSQL; there is nothing to do by hand.
    compact: async () => undefined,
  };
}
