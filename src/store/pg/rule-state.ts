/**
 * Rule state on PostgreSQL (semantics: src/store/types.ts RuleStateRepo). Text is sorted with
 * COLLATE "C" (byte order, as SQLite sorts), so lists come out in the same order on both
 * backends whatever the database's collation.
 */
import type { GroupState, RuleStateRepo } from '../types.js';
import { groupPending, type PendingRow } from '../pending-groups.js';
import type { Sql } from './sql.js';

export function ruleStateRepo(sql: Sql): RuleStateRepo {
  return {
    async getGroup(rule, hash, groupKey): Promise<GroupState> {
      const row = await sql.one<{ last_alert_at: string | null; last_alert_id: number | null; streak: number; active: boolean }>(
        'SELECT last_alert_at, last_alert_id, streak, active FROM rule_groups WHERE rule = $1 AND rule_hash = $2 AND group_key = $3',
        [rule, hash, groupKey],
      );
      return { lastAlertAt: row?.last_alert_at ?? null, lastAlertId: row?.last_alert_id ?? null, streak: row?.streak ?? 0, active: row?.active ?? false };
    },
    async setGroupAlerted(rule, hash, groupKey, at, alertId, streak = 0) {
      await sql.run(
        `INSERT INTO rule_groups (rule, rule_hash, group_key, last_alert_at, last_alert_id, streak) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (rule, rule_hash, group_key) DO UPDATE SET last_alert_at = excluded.last_alert_at,
           last_alert_id = excluded.last_alert_id, streak = excluded.streak`,
        [rule, hash, groupKey, at, alertId, streak],
      );
    },
    async setGroupActive(rule, hash, groupKey, active) {
      await sql.run(
        `INSERT INTO rule_groups (rule, rule_hash, group_key, active) VALUES ($1, $2, $3, $4)
         ON CONFLICT (rule, rule_hash, group_key) DO UPDATE SET active = excluded.active`,
        [rule, hash, groupKey, active],
      );
    },
    async activeGroups(rule, hash) {
      const rows = await sql.rows<{ group_key: string }>(
        'SELECT group_key FROM rule_groups WHERE rule = $1 AND rule_hash = $2 AND active ORDER BY group_key COLLATE "C"',
        [rule, hash],
      );
      return rows.map((r) => r.group_key);
    },
    async addHits(hits) {
      if (hits.length === 0) return;
      await sql.run(
        `INSERT INTO rule_hits (rule, mention_id, group_key, at)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[]) ON CONFLICT DO NOTHING`,
        [hits.map((h) => h.rule), hits.map((h) => h.mentionId), hits.map((h) => h.groupKey), hits.map((h) => h.at)],
      );
    },
    async clearHits(rule) {
      await sql.run('DELETE FROM rule_hits WHERE rule = $1', [rule]);
    },
    async countHits(rule, from, to) {
      const rows = await sql.rows<{ group_key: string; n: number }>(
        'SELECT group_key, count(*) AS n FROM rule_hits WHERE rule = $1 AND at > $2 AND at <= $3 GROUP BY group_key',
        [rule, from, to],
      );
      return new Map(rows.map((r) => [r.group_key, r.n]));
    },
    async sampleHits(rule, groupKey, from, to, limit) {
      const rows = await sql.rows<{ id: number }>(
        `SELECT m.id FROM rule_hits h JOIN mentions m ON m.id = h.mention_id
         WHERE h.rule = $1 AND h.group_key = $2 AND h.at > $3 AND h.at <= $4
         ORDER BY m.urgency_score DESC, coalesce(m.reach, 0) DESC, m.id DESC LIMIT $5`,
        [rule, groupKey, from, to, limit],
      );
      return rows.map((r) => r.id);
    },
    async addPending(entries) {
      if (entries.length === 0) return;
      await sql.run(
        `INSERT INTO rule_pending (rule, rule_hash, group_key, mention_id, added_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[]) ON CONFLICT DO NOTHING`,
        [entries.map((e) => e.rule), entries.map((e) => e.hash), entries.map((e) => e.groupKey), entries.map((e) => e.mentionId), entries.map((e) => e.at)],
      );
    },
    async pendingGroups() {
      const rows = await sql.rows<PendingRow>(
        'SELECT rule, rule_hash, group_key, mention_id, added_at FROM rule_pending ORDER BY rule COLLATE "C", group_key COLLATE "C", mention_id',
      );
      return groupPending(rows);
    },
    async clearPending(rule, mentionIds) {
      if (mentionIds.length === 0) return;
      await sql.run('DELETE FROM rule_pending WHERE rule = $1 AND mention_id = ANY($2::bigint[])', [rule, mentionIds]);
    },
    reconcilePending: (live) =>
      sql.atomic(async (tx) => {
        const hashes = new Map(live.map((r) => [r.rule, r.hash]));
        const rows = await tx.rows<{ rule: string; rule_hash: string }>('SELECT DISTINCT rule, rule_hash FROM rule_pending');
        const dropped = new Map<string, number>();
        for (const r of rows) {
          const current = hashes.get(r.rule);
          if (current === r.rule_hash) continue;
          if (current === undefined) {
            const n = await tx.run('DELETE FROM rule_pending WHERE rule = $1 AND rule_hash = $2', [r.rule, r.rule_hash]);
            dropped.set(r.rule, (dropped.get(r.rule) ?? 0) + n);
          } else {
            await tx.run('UPDATE rule_pending SET rule_hash = $1 WHERE rule = $2 AND rule_hash = $3', [current, r.rule, r.rule_hash]);
          }
        }
        return dropped;
      }),
  };
}
