/**
 * Replays stored mentions through rules without sending or writing anything: what would the
 * rules have sent? Time is the mentions' publication time, so group_wait and throttle behave as
 * they would have live. Uses the same semantics functions as the engine.
 */
import type { Config, RuleConfig } from '../config/load.js';
import { prepareText } from '../analyze/query/index.js';
import type { Mention } from '../core/types.js';
import { groupDueAt, groupKeyFor, matchesRule, summarize } from './semantics.js';

export interface ReplayedAlert {
  rule: string;
  /** When the alert would have been created (ISO). */
  at: string;
  groupKey: string;
  summary: string;
  mentions: Mention[];
  destinations: string[];
}

interface Waiting {
  rule: RuleConfig;
  key: string;
  first: number;
  mentions: Mention[];
}

export function replayRules(config: Config, mentionsAsc: readonly Mention[], rules: readonly RuleConfig[] = config.rules): ReplayedAlert[] {
  const active = rules.filter((r) => r.enabled);
  const alerts: ReplayedAlert[] = [];
  const lastAlert = new Map<string, number>();
  const waiting = new Map<string, Waiting>();

  const release = (until: number, flush: boolean) => {
    const due: Array<{ at: number; w: Waiting; id: string }> = [];
    for (const [id, w] of waiting) {
      const at = groupDueAt(w.rule, w.first, lastAlert.get(id) ?? null);
      if (flush || at <= until) due.push({ at: Math.max(at, w.first), w, id });
    }
    due.sort((a, b) => a.at - b.at);
    for (const { at, w, id } of due) {
      waiting.delete(id);
      lastAlert.set(id, at);
      const brandName = config.brands.get(w.mentions[0]!.brand)?.name ?? w.mentions[0]!.brand;
      alerts.push({
        rule: w.rule.name,
        at: new Date(at).toISOString(),
        groupKey: w.key,
        summary: summarize(brandName, w.mentions),
        mentions: w.mentions,
        destinations: w.rule.notify.map((n) => `${n.type}:${n.target}`),
      });
    }
  };

  for (const mention of mentionsAsc) {
    if (mention.duplicateOf !== null) continue;
    const t = Date.parse(mention.publishedAt);
    release(t, false);
    const prepared = active.some((r) => r.match.text) ? prepareText(`${mention.title}\n${mention.text}`) : undefined;
    for (const rule of active) {
      if (!matchesRule(rule.match, mention, prepared)) continue;
      const key = groupKeyFor(rule, mention);
      const id = `${rule.name}\u0000${key}`;
      const w = waiting.get(id);
      if (w) w.mentions.push(mention);
      else waiting.set(id, { rule, key, first: t, mentions: [mention] });
    }
    release(t, false);
  }
  release(Number.POSITIVE_INFINITY, true);
  alerts.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return alerts;
}
