/**
 * Replays stored mentions through rules without sending or writing anything: what would the
 * rules have sent? Time is the mentions' publication time, so group_wait, throttle (with
 * growth), counting windows and quiet hours behave as they would have live. Uses the same
 * semantics functions as the engine.
 *
 * Differences from live, by necessity: counting rules are evaluated when a mention arrives (live
 * also re-checks on a timer, which matters only for spike drops); a spike's history starts at the
 * first replayed mention (live: at the first poll or the earliest imported mention; imported
 * history counts in both, see spikeHistoryShortfall for what a quiet spike rule is told); `first_from_author` knows only the replayed period; silence rules
 * depend on polls and are not replayed; active silences (`earshot silence`) are not applied.
 */
import type { Config, RuleConfig } from '../config/load.js';
import { prepareText } from '../analyze/query/index.js';
import type { Mention } from '../core/types.js';
import { heldUntil, isHeld } from './hours.js';
import {
  countingSummary,
  groupDueAt,
  groupKeyFor,
  matchesRule,
  nextStreak,
  spikeVerdict,
  summarize,
  throttleFor,
  urgencyRank,
} from './semantics.js';

export interface ReplayedAlert {
  rule: string;
  /** When the alert would have been created (ISO). */
  at: string;
  groupKey: string;
  summary: string;
  mentions: Mention[];
  destinations: string[];
  /** Set when quiet/active hours or a budget would have held the alert back. */
  heldBack: string | null;
}

interface Waiting {
  rule: RuleConfig;
  key: string;
  first: number;
  mentions: Mention[];
}

interface GroupMemory {
  lastAlert: number | null;
  streak: number;
  active: boolean;
}

const SAMPLE = 5;

export function replayRules(config: Config, mentionsAsc: readonly Mention[], rules: readonly RuleConfig[] = config.rules): ReplayedAlert[] {
  const active = rules.filter((r) => r.enabled && r.type !== 'silence');
  const alerts: ReplayedAlert[] = [];
  const memory = new Map<string, GroupMemory>();
  const waiting = new Map<string, Waiting>();
  const hits = new Map<string, Array<{ t: number; m: Mention }>>();
  const seenAuthors = new Set<string>();
  const sentTo = new Map<string, number[]>();
  const historyStart = mentionsAsc.length ? Date.parse(mentionsAsc[0]!.publishedAt) : 0;

  const mem = (id: string): GroupMemory => {
    let m = memory.get(id);
    if (!m) memory.set(id, (m = { lastAlert: null, streak: 0, active: false }));
    return m;
  };

  const emit = (rule: RuleConfig, key: string, at: number, summary: string, mentions: Mention[]) => {
    alerts.push({
      rule: rule.name,
      at: new Date(at).toISOString(),
      groupKey: key,
      summary,
      mentions,
      destinations: rule.notify.map((n) => `${n.type}:${n.target}`),
      heldBack: heldBack(config, rule, mentions, at, sentTo),
    });
  };

  const release = (until: number, flush: boolean) => {
    const due: Array<{ at: number; w: Waiting; id: string }> = [];
    for (const [id, w] of waiting) {
      const m = mem(id);
      const at = groupDueAt(w.rule, w.first, m.lastAlert, throttleFor(w.rule, m.streak));
      if (flush || at <= until) due.push({ at: Math.max(at, w.first), w, id });
    }
    due.sort((a, b) => a.at - b.at);
    for (const { at, w, id } of due) {
      waiting.delete(id);
      const m = mem(id);
      m.streak = nextStreak(w.rule, m.streak, m.lastAlert, at);
      m.lastAlert = at;
      const brandName = config.brands.get(w.mentions[0]!.brand)?.name ?? w.mentions[0]!.brand;
      emit(w.rule, w.key, at, summarize(brandName, w.mentions), w.mentions);
    }
  };

  const countRule = (rule: RuleConfig, key: string, t: number) => {
    const id = `${rule.name}\u0000${key}`;
    const list = hits.get(id) ?? [];
    const inWindow = list.filter((h) => h.t > t - rule.windowMs && h.t <= t);
    let firing = false;
    let verdict: ReturnType<typeof spikeVerdict> = null;
    const brand = inWindow[0]?.m.brand ?? '';
    if (rule.type === 'volume') {
      firing = inWindow.length >= rule.count;
    } else if (t - historyStart >= rule.windowMs * (rule.baseline + 1)) {
      const baseline: number[] = [];
      for (let k = 1; k <= rule.baseline; k++) {
        const from = t - rule.windowMs * (k + 1);
        const to = t - rule.windowMs * k;
        baseline.push(list.filter((h) => h.t > from && h.t <= to).length);
      }
      verdict = spikeVerdict(rule, inWindow.length, baseline);
      firing = verdict !== null;
    }
    const summary = countingSummary(rule, config.brands.get(brand)?.name ?? brand, key, inWindow.length, verdict);
    const m = mem(id);
    if (!firing) {
      m.active = false;
      return;
    }
    const throttle = throttleFor(rule, m.streak);
    const throttled = m.lastAlert !== null && throttle > 0 && t < m.lastAlert + throttle;
    if ((m.active && (throttle === 0 || throttled)) || (!m.active && throttled)) {
      m.active = true;
      return;
    }
    m.active = true;
    m.streak = nextStreak(rule, m.streak, m.lastAlert, t);
    m.lastAlert = t;
    const sample = [...inWindow]
      .sort((a, b) => b.m.urgency.score - a.m.urgency.score || (b.m.reach ?? 0) - (a.m.reach ?? 0))
      .slice(0, SAMPLE)
      .map((h) => h.m);
    emit(rule, key, t, summary, sample);
  };

  for (const mention of mentionsAsc) {
    if (mention.duplicateOf !== null) continue;
    const t = Date.parse(mention.publishedAt);
    release(t, false);
    const authorKey = `${mention.brand}\u0000${(mention.author ?? '').toLowerCase()}`;
    const firstFromAuthor = Boolean(mention.author) && !seenAuthors.has(authorKey);
    if (mention.author) seenAuthors.add(authorKey);
    const prepared = active.some((r) => r.match.text) ? prepareText(`${mention.title}\n${mention.text}`) : undefined;
    for (const rule of active) {
      if (!matchesRule(rule.match, mention, prepared)) continue;
      if (rule.match.firstFromAuthor && !firstFromAuthor) continue;
      const key = groupKeyFor(rule, mention);
      const id = `${rule.name}\u0000${key}`;
      if (rule.type === 'mention') {
        const w = waiting.get(id);
        if (w) w.mentions.push(mention);
        else waiting.set(id, { rule, key, first: t, mentions: [mention] });
      } else {
        const list = hits.get(id) ?? [];
        list.push({ t, m: mention });
        hits.set(id, list);
        countRule(rule, key, t);
      }
    }
    release(t, false);
  }
  release(Number.POSITIVE_INFINITY, true);
  alerts.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return alerts;
}

/** Why an alert at `at` would have been held back (quiet/active hours, budget), or null. */
function heldBack(config: Config, rule: RuleConfig, mentions: readonly Mention[], at: number, sentTo: Map<string, number[]>): string | null {
  const urgent = (level: string | null) => level !== null && mentions.some((m) => urgencyRank(m.urgency.level) >= urgencyRank(level));
  const when = new Date(at);
  if (!urgent(rule.breakThrough) && isHeld(rule.quietHours, rule.activeHours, when)) {
    const window = rule.quietHours && isHeld(rule.quietHours, null, when) ? rule.quietHours : rule.activeHours!;
    if (window.then === 'digest') return 'quiet/active hours: sent to the digest';
    const until = heldUntil(rule.quietHours, rule.activeHours, when);
    return `quiet/active hours: held until ${until?.toISOString() ?? '?'}`;
  }
  const reasons: string[] = [];
  for (const n of rule.notify) {
    const budget = config.budgets.find((b) => b.destination.type === n.type && b.destination.target === n.target);
    const key = `${n.type}:${n.target}`;
    const times = (sentTo.get(key) ?? []).filter((t) => !budget || t > at - budget.perMs);
    if (budget && !urgent(budget.breakThrough) && times.length >= budget.max) {
      reasons.push(`over budget for ${n.target}`);
      continue;
    }
    times.push(at);
    sentTo.set(key, times);
  }
  return reasons.length ? reasons.join('; ') : null;
}

export interface HistoryShortfall {
  /** History a spike rule needs before it can fire: `baseline` windows and the current one. */
  needsMs: number;
  /** History the replay had: from its first mention to its last. */
  hasMs: number;
}

/** Why a spike rule could not fire in a replay of these mentions, or null when it had enough history. */
export function spikeHistoryShortfall(rule: RuleConfig, mentionsAsc: readonly Mention[]): HistoryShortfall | null {
  if (rule.type !== 'spike') return null;
  const times = mentionsAsc.filter((m) => m.duplicateOf === null).map((m) => Date.parse(m.publishedAt));
  const needsMs = rule.windowMs * (rule.baseline + 1);
  const hasMs = times.length ? times[times.length - 1]! - times[0]! : 0;
  return hasMs >= needsMs ? null : { needsMs, hasMs };
}
