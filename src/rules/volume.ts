/** `type: volume`: fires when at least `count` matching mentions were published within `window`. */
import { z } from 'zod';
import { formatDuration } from '../core/duration.js';
import { durationSchema } from '../core/primitives.js';
import { commonFields, compileBase, groupBySchema, type CompileContext } from './common.js';
import { evaluateCounting, type CountingJudge } from './counting.js';
import type { VolumeRule } from './model.js';
import type { EngineDeps } from './rule-store.js';

export const volumeRuleSchema = z.strictObject({
  ...commonFields,
  type: z.literal('volume'),
  /** Fires when at least `count` matching mentions were published within `window`. */
  window: durationSchema,
  count: z.number().int().min(1),
  group_by: groupBySchema,
});

export function compileVolumeRule(rule: z.output<typeof volumeRuleSchema>, ctx: CompileContext): VolumeRule {
  return { ...compileBase(rule, ctx), type: 'volume', groupBy: rule.group_by ?? [], windowMs: rule.window, count: rule.count };
}

const volume: CountingJudge<VolumeRule> = {
  extraGroup: () => null,
  baseline: async () => null,
  judge: (rule, current) => ({ firing: current >= rule.count, spike: null, details: [`threshold: ${rule.count} in ${formatDuration(rule.windowMs)}`] }),
};

/** Alerts when a group's window holds at least `count` hits (again only after it dropped below). */
export function evaluateVolumeRule(deps: EngineDeps, rule: VolumeRule, now: Date): Promise<number[]> {
  return evaluateCounting(deps, rule, now, volume);
}
