/** rule_pending rows as both backends return them, grouped the one way the engine reads them. */
import type { PendingGroup } from './types.js';

export interface PendingRow {
  rule: string;
  rule_hash: string;
  group_key: string;
  mention_id: number;
  added_at: string;
}

/** One group per (rule, definition, group key), in the rows' order, with its earliest arrival. */
export function groupPending(rows: readonly PendingRow[]): PendingGroup[] {
  const groups = new Map<string, PendingGroup>();
  for (const r of rows) {
    const key = `${r.rule}\u0000${r.rule_hash}\u0000${r.group_key}`;
    let g = groups.get(key);
    if (!g) {
      g = { rule: r.rule, ruleHash: r.rule_hash, groupKey: r.group_key, firstAddedAt: r.added_at, mentionIds: [] };
      groups.set(key, g);
    }
    if (r.added_at < g.firstAddedAt) g.firstAddedAt = r.added_at;
    g.mentionIds.push(r.mention_id);
  }
  return [...groups.values()];
}
