/**
 * `type: spike`: the mentions of the last `window` against the average of the `baseline` windows
 * before it (see spikeVerdict). No alert until that much history exists.
 */
import { z } from 'zod';
import { formatDuration } from '../core/duration.js';
import { durationSchema } from '../core/primitives.js';
import { commonFields, compileBase, groupBySchema, type CompileContext } from './common.js';
import { evaluateCounting, windowBounds, type CountingJudge } from './counting.js';
import type { RuleContext, SpikeRule } from './model.js';
import type { EngineDeps, RuleStore } from './rule-store.js';

export const spikeRuleSchema = z.strictObject({
  ...commonFields,
  type: z.literal('spike'),
  /** Mentions in the last `window` against the average of the `baseline` windows before it. */
  window: durationSchema,
  factor: z.number().gt(1, 'factor must be above 1').default(3),
  /** Never fires below this many mentions in the window (a jump from 2 to 6 is not news). */
  min_count: z.number().int().min(1).default(10),
  /** Number of earlier windows averaged as the baseline; no alert until that much history exists. */
  baseline: z.number().int().min(2).max(1000).default(24),
  /** up: more than usual; down: far fewer (a feed broke?); both. */
  direction: z.enum(['up', 'down', 'both']).default('up'),
  group_by: groupBySchema,
});

export function compileSpikeRule(rule: z.output<typeof spikeRuleSchema>, ctx: CompileContext): SpikeRule {
  return {
    ...compileBase(rule, ctx),
    type: 'spike',
    groupBy: rule.group_by ?? [],
    windowMs: rule.window,
    minCount: rule.min_count,
    factor: rule.factor,
    baseline: rule.baseline,
    direction: rule.direction,
  };
}

export interface SpikeVerdict {
  kind: 'up' | 'down';
  average: number;
}

/**
 * Spike: the window's count against the average of the baseline windows. Up when the count is
 * at least min_count and at least `factor` times the average (an average below 1 counts as 1,
 * so a quiet brand needs min_count mentions, not one); down when the usual volume was at least
 * min_count and the window fell to at most average / factor.
 */
export function spikeVerdict(rule: SpikeRule, current: number, baseline: readonly number[]): SpikeVerdict | null {
  if (baseline.length === 0) return null;
  const average = baseline.reduce((a, b) => a + b, 0) / baseline.length;
  if (rule.direction !== 'down' && current >= rule.minCount && current >= rule.factor * Math.max(average, 1)) return { kind: 'up', average };
  if (rule.direction !== 'up' && average >= rule.minCount && current <= average / rule.factor) return { kind: 'down', average };
  return null;
}

/** How much history a spike needs before it can fire: its window and the baseline windows before it. */
export function historyNeededMs(rule: SpikeRule): number {
  return rule.windowMs * (rule.baseline + 1);
}

/**
 * Earliest time the brands' mentions are known from (for spike baselines): the first successful
 * poll of their sources, or the earliest mention `earshot import` brought, whichever is earlier.
 * Imported history counts: an import is taken to cover its period the way the sources would have
 * (import what they would have seen, or the baseline is too low and spikes fire too easily).
 */
export async function watchedSince(store: RuleStore, config: RuleContext, brands: ReadonlySet<string>): Promise<number | null> {
  let earliest: number | null = null;
  const consider = (iso: string | null) => {
    if (!iso) return;
    const t = Date.parse(iso);
    if (earliest === null || t < earliest) earliest = t;
  };
  for (const s of await store.sources.list()) {
    if (!brands.has(s.brand) || !s.firstSuccessAt) continue;
    if (!config.sources.some((c) => c.key === s.sourceKey)) continue;
    consider(s.firstSuccessAt);
  }
  for (const brand of brands) consider(await store.mentions.importedHistoryFrom(brand));
  return earliest;
}

const spike: CountingJudge<SpikeRule> = {
  // A drop is a window that fell quiet: the whole rule's group is looked at even without hits.
  extraGroup: (rule) => (rule.direction === 'up' ? null : rule.groupBy.length ? '' : '*'),
  async baseline(deps, rule, t) {
    const brands = new Set(rule.match.brands ?? deps.config.brands.keys());
    const since = await watchedSince(deps.store, deps.config, brands);
    if (since === null || t - since < historyNeededMs(rule)) return null;
    const counts: Map<string, number>[] = [];
    for (let k = 1; k <= rule.baseline; k++) {
      const { from, to } = windowBounds(t, rule.windowMs, k);
      counts.push(await deps.store.rules.countHits(rule.name, from, to));
    }
    return counts;
  },
  judge(rule, current, baseline) {
    const verdict = baseline ? spikeVerdict(rule, current, baseline) : null;
    const window = formatDuration(rule.windowMs);
    const details =
      verdict?.kind === 'up'
        ? [`baseline: average of the previous ${rule.baseline} windows of ${window}; fires at ${rule.factor}x and at least ${rule.minCount}`]
        : [`baseline: average of the previous ${rule.baseline} windows of ${window}; a source may have stopped working`];
    return { firing: verdict !== null, spike: verdict, details };
  },
};

/** Alerts when a group's window is `factor` times its usual volume (or, with `direction`, far below it). */
export function evaluateSpikeRule(deps: EngineDeps, rule: SpikeRule, now: Date): Promise<number[]> {
  return evaluateCounting(deps, rule, now, spike);
}
