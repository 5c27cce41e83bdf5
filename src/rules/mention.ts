/**
 * `type: mention` (the default): fires per matching mention. Each matching mention joins a group
 * (see groupKeyFor in semantics.ts) and waits; the group's waiting mentions go out as one alert
 * once `group_wait` has passed since the first of them and `throttle` since the group's previous
 * alert.
 */
import { z } from 'zod';
import { formatDuration } from '../core/duration.js';
import { durationSchema } from '../core/primitives.js';
import { createAlert } from './alerts.js';
import { commonFields, compileBase, groupBySchema, type CompileContext } from './common.js';
import type { MentionRule, RuleConfig } from './model.js';
import type { EngineDeps } from './rule-store.js';
import { groupDue, groupDueAt, nextStreak, summarize, throttleFor } from './semantics.js';

export const mentionRuleSchema = z.strictObject({
  ...commonFields,
  type: z.literal('mention'),
  group_by: groupBySchema,
  group_wait: durationSchema.optional(),
});

export function compileMentionRule(rule: z.output<typeof mentionRuleSchema>, ctx: CompileContext): MentionRule {
  const groupBy = rule.group_by ?? [];
  // Mentions of one story (a URL posted on several sites) read best as one thread.
  return { ...compileBase(rule, ctx, groupBy.includes('story')), type: 'mention', groupBy, groupWaitMs: rule.group_wait ?? 0 };
}

function mentionRules(rules: readonly RuleConfig[]): Map<string, MentionRule> {
  return new Map(rules.filter((r): r is MentionRule => r.type === 'mention').map((r) => [r.name, r]));
}

export interface ReleaseOptions {
  /** Ignore group_wait (used by `poll --once`, which will not be around to wait). */
  flush?: boolean;
}

/** Turns due waiting groups into alerts in the outbox. Returns the new alert ids. */
export async function releaseMentionGroups(deps: EngineDeps, options: ReleaseOptions = {}): Promise<number[]> {
  const { store, config, log } = deps;
  const byName = mentionRules(config.rules);
  const created: number[] = [];
  const dropped = await store.rules.reconcilePending([...byName.values()].filter((r) => r.enabled).map((r) => ({ rule: r.name, hash: r.hash })));
  for (const [rule, count] of dropped) log.info({ rule, dropped: count }, 'rule removed: its waiting mentions are dropped');

  const now = deps.now();
  for (const group of await store.rules.pendingGroups()) {
    const rule = byName.get(group.rule);
    if (!rule || rule.hash !== group.ruleHash) continue;
    const state = await store.rules.getGroup(rule.name, rule.hash, group.groupKey);
    const lastAlertAt = state.lastAlertAt ? Date.parse(state.lastAlertAt) : null;
    const throttle = throttleFor(rule, state.streak);
    if (!groupDue(rule, Date.parse(group.firstAddedAt), lastAlertAt, now.getTime(), options.flush, throttle)) continue;
    const alertId = await store.transaction(async (tx) => {
      const mentions = await tx.mentions.get(group.mentionIds);
      await tx.rules.clearPending(rule.name, group.mentionIds);
      if (mentions.length === 0) return null;
      const brandName = config.brands.get(mentions[0]!.brand)?.name ?? mentions[0]!.brand;
      const streak = nextStreak(rule, state.streak, lastAlertAt, now.getTime());
      return createAlert(deps, tx, rule, group.groupKey, now, {
        brand: mentions[0]!.brand,
        summary: summarize(brandName, mentions),
        details: throttle > 0 && lastAlertAt !== null ? [`throttled: at most one alert per ${formatDuration(throttleFor(rule, streak))} for this group`] : [],
        mentions,
        claim: true,
        totalMentions: mentions.length,
        streak,
      });
    });
    if (alertId !== null) created.push(alertId);
  }
  return created;
}

/** The earliest time a waiting group becomes due, or null when nothing waits. */
export async function nextReleaseAt(deps: EngineDeps): Promise<Date | null> {
  const byName = mentionRules(deps.config.rules);
  let earliest: number | null = null;
  for (const group of await deps.store.rules.pendingGroups()) {
    const rule = byName.get(group.rule);
    if (!rule) continue;
    const state = await deps.store.rules.getGroup(rule.name, rule.hash, group.groupKey);
    const at = groupDueAt(rule, Date.parse(group.firstAddedAt), state.lastAlertAt ? Date.parse(state.lastAlertAt) : null, throttleFor(rule, state.streak));
    if (earliest === null || at < earliest) earliest = at;
  }
  return earliest === null ? null : new Date(earliest);
}
