/** Rule state: per (rule, definition checksum, group) the last alert, and mentions waiting for one. */
import type { GroupState, PendingEntry, PendingGroup, RuleHit } from '../types.js';
import { groupPending, type PendingRow } from '../pending-groups.js';
import { stmt, type Db } from './db.js';

export function getGroup(db: Db, rule: string, hash: string, groupKey: string): GroupState {
  const row = stmt<[string, string, string], { last_alert_at: string | null; last_alert_id: number | null; streak: number; active: number }>(
    db,
    'SELECT last_alert_at, last_alert_id, streak, active FROM rule_groups WHERE rule = ? AND rule_hash = ? AND group_key = ?',
  ).get(rule, hash, groupKey);
  return { lastAlertAt: row?.last_alert_at ?? null, lastAlertId: row?.last_alert_id ?? null, streak: row?.streak ?? 0, active: row?.active === 1 };
}

export function setGroupAlerted(db: Db, rule: string, hash: string, groupKey: string, at: string, alertId: number, streak = 0): void {
  stmt(
    db,
    `INSERT INTO rule_groups (rule, rule_hash, group_key, last_alert_at, last_alert_id, streak) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (rule, rule_hash, group_key) DO UPDATE SET last_alert_at = excluded.last_alert_at,
       last_alert_id = excluded.last_alert_id, streak = excluded.streak`,
  ).run(rule, hash, groupKey, at, alertId, streak);
}

export function setGroupActive(db: Db, rule: string, hash: string, groupKey: string, active: boolean): void {
  stmt(
    db,
    `INSERT INTO rule_groups (rule, rule_hash, group_key, active) VALUES (?, ?, ?, ?)
     ON CONFLICT (rule, rule_hash, group_key) DO UPDATE SET active = excluded.active`,
  ).run(rule, hash, groupKey, active ? 1 : 0);
}

/** Groups of a rule definition whose aggregate condition is firing. */
export function activeGroups(db: Db, rule: string, hash: string): string[] {
  return stmt<[string, string], { group_key: string }>(db, 'SELECT group_key FROM rule_groups WHERE rule = ? AND rule_hash = ? AND active = 1')
    .all(rule, hash)
    .map((r) => r.group_key);
}

// ---------------------------------------------------------------- hits of counting rules

export function addHits(db: Db, hits: readonly RuleHit[]): void {
  const insert = stmt(db, 'INSERT OR IGNORE INTO rule_hits (rule, mention_id, group_key, at) VALUES (?, ?, ?, ?)');
  for (const h of hits) insert.run(h.rule, h.mentionId, h.groupKey, h.at);
}

export function clearHits(db: Db, rule: string): void {
  stmt(db, 'DELETE FROM rule_hits WHERE rule = ?').run(rule);
}

/** Hits per group in (from, to]. */
export function countHits(db: Db, rule: string, from: string, to: string): Map<string, number> {
  const rows = stmt<[string, string, string], { group_key: string; n: number }>(
    db,
    'SELECT group_key, COUNT(*) AS n FROM rule_hits WHERE rule = ? AND at > ? AND at <= ? GROUP BY group_key',
  ).all(rule, from, to);
  return new Map(rows.map((r) => [r.group_key, r.n]));
}

/** The most urgent, then widest-reaching, mentions of a group's hits in (from, to]. */
export function sampleHits(db: Db, rule: string, groupKey: string, from: string, to: string, limit: number): number[] {
  return stmt<[string, string, string, string, number], { id: number }>(
    db,
    `SELECT m.id FROM rule_hits h JOIN mentions m ON m.id = h.mention_id
     WHERE h.rule = ? AND h.group_key = ? AND h.at > ? AND h.at <= ?
     ORDER BY m.urgency_score DESC, COALESCE(m.reach, 0) DESC, m.id DESC LIMIT ?`,
  )
    .all(rule, groupKey, from, to, limit)
    .map((r) => r.id);
}

export function addPending(db: Db, entries: readonly PendingEntry[]): void {
  const insert = stmt(db, 'INSERT OR IGNORE INTO rule_pending (rule, rule_hash, group_key, mention_id, added_at) VALUES (?, ?, ?, ?, ?)');
  for (const e of entries) insert.run(e.rule, e.hash, e.groupKey, e.mentionId, e.at);
}

export function pendingGroups(db: Db): PendingGroup[] {
  const rows = stmt<[], PendingRow>(
    db,
    'SELECT rule, rule_hash, group_key, mention_id, added_at FROM rule_pending ORDER BY rule, group_key, mention_id',
  ).all();
  return groupPending(rows);
}

export function clearPending(db: Db, rule: string, mentionIds: readonly number[]): void {
  const del = stmt(db, 'DELETE FROM rule_pending WHERE rule = ? AND mention_id = ?');
  for (const id of mentionIds) del.run(rule, id);
}

/**
 * Reconciles waiting mentions with the rules in force: a mention waiting for an edited rule moves
 * to its new definition (the edit resets throttle memory, but loses no mention); one waiting for
 * a removed rule is dropped. Returns how many were dropped, per removed rule.
 */
export function reconcilePending(db: Db, live: ReadonlyArray<{ rule: string; hash: string }>): Map<string, number> {
  const hashes = new Map(live.map((r) => [r.rule, r.hash]));
  const rows = stmt<[], { rule: string; rule_hash: string }>(db, 'SELECT DISTINCT rule, rule_hash FROM rule_pending').all();
  const dropped = new Map<string, number>();
  for (const r of rows) {
    const current = hashes.get(r.rule);
    if (current === r.rule_hash) continue;
    if (current === undefined) {
      const n = stmt(db, 'DELETE FROM rule_pending WHERE rule = ? AND rule_hash = ?').run(r.rule, r.rule_hash).changes;
      dropped.set(r.rule, (dropped.get(r.rule) ?? 0) + n);
    } else {
      stmt(db, 'UPDATE rule_pending SET rule_hash = ? WHERE rule = ? AND rule_hash = ?').run(current, r.rule, r.rule_hash);
    }
  }
  return dropped;
}
