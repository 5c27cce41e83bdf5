/**
 * An in-memory RuleStore for the replay: the mentions being replayed arrive one instant at a
 * time, and the engine (engine.ts) runs over them exactly as it runs over the database. Each
 * method answers as the SQLite store does (same bounds, same orders, same "already there"
 * rules); test/rules-equivalence.test.ts runs random timelines through both and requires the
 * same alerts. Nothing here is persisted; no silence (`earshot silence`) applies.
 */
import type { Mention } from '../core/types.js';
import type { GroupState, MentionFilter, NewAlert, PendingEntry, PendingGroup, RuleHit, SourceState } from '../store/types.js';
import type { RuleStore } from './rule-store.js';

/** An alert the replayed engine wrote. */
export interface RecordedAlert extends NewAlert {
  id: number;
}

interface Hit {
  mentionId: number;
  groupKey: string;
  at: string;
}

/** SQLite's BINARY collation, which orders the store's pending groups. */
function byteOrder(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

const key = (...parts: string[]): string => parts.join('\u0000');

/** SQLite's NOCASE: only ASCII letters fold (an 'Ä' and an 'ä' are two authors there, so here too). */
const nocase = (text: string): string => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** The index of the first hit later than `at` in time-sorted hits. */
function firstAfter(sorted: readonly Hit[], at: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.at <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class ReplayStore implements RuleStore {
  /** Every mention being replayed, by id (arrived or not). */
  private readonly byId = new Map<number, Mention>();
  /** Arrived mentions and their alert state. */
  private readonly arrived = new Map<number, 'new' | 'evaluated'>();
  /** Arrived mentions not evaluated yet (a step reads them; scanning `arrived` each step would be quadratic). */
  private readonly fresh = new Set<number>();
  /** Arrived non-duplicate mentions per brand and lower-cased author: the lowest id (first_from_author). */
  private readonly firstByAuthor = new Map<string, number>();
  private readonly groups = new Map<string, GroupState>();
  /** Per rule: its hits in time order, and which mentions it has (a hit is recorded once). */
  private readonly hits = new Map<string, { sorted: Hit[]; mentions: Set<number> }>();
  private readonly pending = new Map<string, Map<number, { hash: string; groupKey: string; at: string }>>();
  private readonly claimed = new Set<string>();
  private readonly metaValues = new Map<string, string | null>();
  readonly alerts: RecordedAlert[] = [];

  constructor(
    mentions: readonly Mention[],
    private readonly sourceStates: SourceState[] = [],
  ) {
    for (const m of mentions) this.byId.set(m.id, m);
  }

  /** The mention is stored now: the next engine step evaluates it. */
  arrive(id: number): void {
    const m = this.byId.get(id);
    if (!m || this.arrived.has(id)) return;
    this.arrived.set(id, 'new');
    this.fresh.add(id);
    if (m.author && m.duplicateOf === null) {
      const k = key(m.brand, nocase(m.author));
      this.firstByAuthor.set(k, Math.min(this.firstByAuthor.get(k) ?? id, id));
    }
  }

  /** The rule's hits with `from < at <= to`, by binary search on their times. */
  private hitsIn(rule: string, from: string, to: string): Hit[] {
    const sorted = this.hits.get(rule)?.sorted ?? [];
    return sorted.slice(firstAfter(sorted, from), firstAfter(sorted, to));
  }

  private mention(id: number): Mention | undefined {
    return this.arrived.has(id) ? this.byId.get(id) : undefined;
  }

  readonly mentions: RuleStore['mentions'] = {
    get: async (ids) => ids.map((id) => this.mention(id)).filter((m): m is Mention => m !== undefined),
    newIds: async (limit) => [...this.fresh].sort((a, b) => a - b).slice(0, limit),
    setAlertState: async (ids, state) => {
      for (const id of ids) {
        if (!this.arrived.has(id)) continue;
        this.arrived.set(id, state === 'new' ? 'new' : 'evaluated');
        if (state === 'new') this.fresh.add(id);
        else this.fresh.delete(id);
      }
    },
    list: async (filter: MentionFilter = {}) => {
      const found = [...this.arrived.keys()]
        .map((id) => this.byId.get(id)!)
        .filter((m) => (filter.includeDuplicates || m.duplicateOf === null) && (!filter.since || m.publishedAt >= filter.since) && (!filter.until || m.publishedAt < filter.until))
        .filter((m) => (!filter.brand || m.brand === filter.brand) && (!filter.source || m.source === filter.source));
      const dir = filter.order === 'asc' ? 1 : -1;
      found.sort((a, b) => dir * (a.publishedAt < b.publishedAt ? -1 : a.publishedAt > b.publishedAt ? 1 : a.id - b.id));
      return filter.limit ? found.slice(0, filter.limit) : found;
    },
    isFirstFromAuthor: async (brand, author, beforeId) => (this.firstByAuthor.get(key(brand, nocase(author))) ?? beforeId) >= beforeId,
    // The replay's history starts where its sources' states say (default: the first mention).
    importedHistoryFrom: async () => null,
    lastFetchedAt: async (brand, sourceKeys) => {
      let last: string | null = null;
      for (const id of this.arrived.keys()) {
        const m = this.byId.get(id)!;
        if (m.brand === brand && sourceKeys.includes(m.sourceKey) && (last === null || m.fetchedAt > last)) last = m.fetchedAt;
      }
      return last;
    },
  };

  readonly rules: RuleStore['rules'] = {
    getGroup: async (rule, hash, groupKey) => ({ ...(this.groups.get(key(rule, hash, groupKey)) ?? { lastAlertAt: null, lastAlertId: null, streak: 0, active: false }) }),
    setGroupAlerted: async (rule, hash, groupKey, at, alertId, streak = 0) => {
      const g = await this.rules.getGroup(rule, hash, groupKey);
      this.groups.set(key(rule, hash, groupKey), { ...g, lastAlertAt: at, lastAlertId: alertId, streak });
    },
    setGroupActive: async (rule, hash, groupKey, active) => {
      const g = await this.rules.getGroup(rule, hash, groupKey);
      this.groups.set(key(rule, hash, groupKey), { ...g, active });
    },
    activeGroups: async (rule, hash) =>
      [...this.groups]
        .filter(([k, g]) => g.active && k.startsWith(key(rule, hash, '')))
        .map(([k]) => k.slice(key(rule, hash, '').length)),
    addHits: async (hits: readonly RuleHit[]) => {
      for (const h of hits) {
        let ofRule = this.hits.get(h.rule);
        if (!ofRule) this.hits.set(h.rule, (ofRule = { sorted: [], mentions: new Set() }));
        if (ofRule.mentions.has(h.mentionId)) continue;
        ofRule.mentions.add(h.mentionId);
        // Hits mostly come in time order: the search lands at the end.
        ofRule.sorted.splice(firstAfter(ofRule.sorted, h.at), 0, { mentionId: h.mentionId, groupKey: h.groupKey, at: h.at });
      }
    },
    clearHits: async (rule) => {
      this.hits.delete(rule);
    },
    countHits: async (rule, from, to) => {
      const counts = new Map<string, number>();
      for (const h of this.hitsIn(rule, from, to)) counts.set(h.groupKey, (counts.get(h.groupKey) ?? 0) + 1);
      // GROUP BY's order: the groups of one instant alert in the same order as in the database.
      return new Map([...counts].sort(([a], [b]) => byteOrder(a, b)));
    },
    sampleHits: async (rule, groupKey, from, to, limit) =>
      this.hitsIn(rule, from, to)
        .filter((h) => h.groupKey === groupKey)
        .map((h) => this.byId.get(h.mentionId)!)
        .sort((a, b) => b.urgency.score - a.urgency.score || (b.reach ?? 0) - (a.reach ?? 0) || b.id - a.id)
        .slice(0, limit)
        .map((m) => m.id),
    addPending: async (entries: readonly PendingEntry[]) => {
      for (const e of entries) {
        let byMention = this.pending.get(e.rule);
        if (!byMention) this.pending.set(e.rule, (byMention = new Map()));
        if (!byMention.has(e.mentionId)) byMention.set(e.mentionId, { hash: e.hash, groupKey: e.groupKey, at: e.at });
      }
    },
    pendingGroups: async () => {
      const groups = new Map<string, PendingGroup>();
      const rows = [...this.pending].flatMap(([rule, byMention]) => [...byMention].map(([mentionId, p]) => ({ rule, mentionId, ...p })));
      rows.sort((a, b) => byteOrder(a.rule, b.rule) || byteOrder(a.groupKey, b.groupKey) || a.mentionId - b.mentionId);
      for (const r of rows) {
        const k = key(r.rule, r.hash, r.groupKey);
        let g = groups.get(k);
        if (!g) groups.set(k, (g = { rule: r.rule, ruleHash: r.hash, groupKey: r.groupKey, firstAddedAt: r.at, mentionIds: [] }));
        if (r.at < g.firstAddedAt) g.firstAddedAt = r.at;
        g.mentionIds.push(r.mentionId);
      }
      return [...groups.values()];
    },
    clearPending: async (rule, mentionIds) => {
      const byMention = this.pending.get(rule);
      for (const id of mentionIds) byMention?.delete(id);
    },
    reconcilePending: async (live) => {
      const hashes = new Map(live.map((r) => [r.rule, r.hash]));
      const dropped = new Map<string, number>();
      for (const [rule, byMention] of this.pending) {
        const current = hashes.get(rule);
        for (const [id, p] of byMention) {
          if (current === p.hash) continue;
          if (current === undefined) {
            byMention.delete(id);
            dropped.set(rule, (dropped.get(rule) ?? 0) + 1);
          } else {
            p.hash = current;
          }
        }
      }
      return dropped;
    },
  };

  readonly outbox: RuleStore['outbox'] = {
    insertAlert: async (alert) => {
      const unclaimed = alert.mentionIds.filter((id) => !this.claimed.has(key(alert.rule, String(id))));
      if (alert.mentionIds.length > 0 && unclaimed.length === 0) return null;
      for (const id of unclaimed) this.claimed.add(key(alert.rule, String(id)));
      const id = this.alerts.length + 1;
      this.alerts.push({ ...alert, id });
      return id;
    },
    countDeliveriesSince: async (notifier, target, since) =>
      this.alerts
        .filter((a) => a.createdAt > since)
        .flatMap((a) => a.deliveries)
        .filter((d) => d.notifier === notifier && d.target === target && ['pending', 'sent', 'held', 'failed'].includes(d.status ?? 'pending')).length,
  };

  readonly silences: RuleStore['silences'] = { active: async () => null };

  readonly sources: RuleStore['sources'] = { list: async () => this.sourceStates };

  readonly meta: RuleStore['meta'] = {
    get: async (k) => this.metaValues.get(k) ?? null,
    set: async (k, value) => {
      this.metaValues.set(k, value);
    },
  };

  /** Nothing to roll back in memory: a failed step is a bug the replay reports. */
  transaction<T>(fn: (tx: RuleStore) => Promise<T>): Promise<T> {
    return fn(this);
  }
}
