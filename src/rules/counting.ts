/**
 * What the two counting rule types (volume.ts, spike.ts) share: the hits they record (a matching
 * mention at its publication time, or its fetch time if that was earlier), the windows they count
 * in (`(t - window, t]`, and for a spike the `baseline` windows before it), the groups they look
 * at, and the summary line of their alerts. Each type decides from the counts whether it fires.
 */
import { formatDuration } from '../core/duration.js';
import type { Mention } from '../core/types.js';
import { settle } from './alerts.js';
import type { CountingRule, RuleContext } from './model.js';
import type { EngineDeps, RuleStore } from './rule-store.js';
import type { SpikeVerdict } from './spike.js';

/** Mentions shown as a sample in a counting rule's alert. */
export const SAMPLE_SIZE = 5;

/** The time a mention counts at in windows: its publication, or its fetch if that was earlier (clock skew). */
export function hitTime(m: Mention): string {
  return m.publishedAt < m.fetchedAt ? m.publishedAt : m.fetchedAt;
}

/** How far back a counting rule looks (volume: its window; spike: the window and its baseline). */
export function lookbackMs(rule: CountingRule): number {
  return rule.type === 'volume' ? rule.windowMs : rule.windowMs * (rule.baseline + 1);
}

/** The k-th window before `t` (k = 0: the current one), as the (from, to] bounds hits are counted in. */
export function windowBounds(t: number, windowMs: number, k: number): { from: string; to: string } {
  return { from: new Date(t - windowMs * (k + 1)).toISOString(), to: new Date(t - windowMs * k).toISOString() };
}

function groupLabel(groupKey: string): string {
  return groupKey === '*' ? '' : ` (${groupKey.replace(/,/g, ', ')})`;
}

/** The one-line summary of a counting rule's alert (volume, spike up, spike down). */
export function countingSummary(rule: CountingRule, brandName: string, groupKey: string, count: number, verdict: SpikeVerdict | null): string {
  const window = formatDuration(rule.windowMs);
  const where = `${brandName} in ${window}${groupLabel(groupKey)}`;
  if (rule.type === 'volume') return `Volume: ${count} mentions of ${where}`;
  if (verdict?.kind === 'up') {
    return `Spike: ${count} mentions of ${where}, ${(count / Math.max(verdict.average, 1)).toFixed(1)}x the usual ${verdict.average.toFixed(1)}`;
  }
  return `Drop: ${count} mentions of ${where}, usually ${verdict?.average.toFixed(1) ?? '?'}`;
}

function brandOfGroup(config: RuleContext, rule: CountingRule, groupKey: string, sample: Mention[]): string {
  const fromKey = /(?:^|,)brand=([^,]+)/.exec(groupKey)?.[1];
  return fromKey ?? sample[0]?.brand ?? rule.match.brands?.[0] ?? [...config.brands.keys()][0] ?? '';
}

/** A counting rule type's judgement of one group's counts. */
export interface CountingVerdict {
  firing: boolean;
  /** The spike's direction and baseline, for the summary. */
  spike: SpikeVerdict | null;
  /** Lines under the summary: the threshold or the baseline it was judged against. */
  details: string[];
}

/** What a counting rule type brings to the shared evaluation. */
export interface CountingJudge<R extends CountingRule> {
  /**
   * Groups that must be looked at even with no hit in the window (a spike down is a window
   * that fell quiet); '' stands for none.
   */
  extraGroup(rule: R): string | null;
  /** Per group: the counts of the earlier windows it needs (none for a volume rule), or null when it cannot judge yet. */
  baseline(deps: EngineDeps, rule: R, t: number): Promise<Map<string, number>[] | null>;
  judge(rule: R, current: number, baseline: number[] | null): CountingVerdict;
}

/** Evaluates a counting rule at `now`: every group with hits in the window or firing already. */
export async function evaluateCounting<R extends CountingRule>(deps: EngineDeps, rule: R, now: Date, type: CountingJudge<R>): Promise<number[]> {
  const { store, config } = deps;
  const created: number[] = [];
  const t = now.getTime();
  const { from: windowStart, to: windowEnd } = windowBounds(t, rule.windowMs, 0);
  const current = await store.rules.countHits(rule.name, windowStart, windowEnd);
  const groups = new Set([...current.keys(), ...(await store.rules.activeGroups(rule.name, rule.hash))]);
  const extra = type.extraGroup(rule);
  if (extra !== null) groups.add(extra);
  const baseline = await type.baseline(deps, rule, t);

  for (const groupKey of groups) {
    if (groupKey === '') continue;
    const n = current.get(groupKey) ?? 0;
    const verdict = type.judge(rule, n, baseline ? baseline.map((counts) => counts.get(groupKey) ?? 0) : null);
    const id = await settle(deps, rule, groupKey, verdict.firing, now, async (tx: RuleStore) => {
      const sample = await tx.mentions.get(await tx.rules.sampleHits(rule.name, groupKey, windowStart, windowEnd, SAMPLE_SIZE));
      const brand = brandOfGroup(config, rule, groupKey, sample);
      const name = config.brands.get(brand)?.name ?? brand;
      return { brand, summary: countingSummary(rule, name, groupKey, n, verdict.spike), details: verdict.details, mentions: sample, totalMentions: n };
    });
    if (id !== null) created.push(id);
  }
  return created;
}
