/**
 * Where every rule type's alert is written (the outbox, with its planned deliveries, and the
 * group's alert time and streak, in one transaction), and the firing state of aggregate
 * conditions (counting and silence rules): an alert when a condition starts firing, a reminder
 * per throttle while it lasts (if the rule has one), nothing more until it cleared.
 */
import type { Mention } from '../core/types.js';
import { planDeliveries } from './delivery-plan.js';
import type { RuleConfig } from './model.js';
import type { EngineDeps, RuleStore } from './rule-store.js';
import { nextStreak, throttleFor } from './semantics.js';

export interface AlertSpec {
  brand: string;
  summary: string;
  details: string[];
  /** Mentions shown in the alert. */
  mentions: Mention[];
  /** Mention rules claim their mentions (one alert per mention and rule); aggregates only show samples. */
  claim: boolean;
  totalMentions: number;
  streak: number;
}

/** Writes the alert through `tx` (the caller's transaction) and records the group's alert time. */
export async function createAlert(deps: EngineDeps, tx: RuleStore, rule: RuleConfig, groupKey: string, now: Date, spec: AlertSpec): Promise<number | null> {
  const { config, log } = deps;
  const at = now.toISOString();
  const ids = spec.mentions.map((m) => m.id);
  const deliveries = await planDeliveries(tx, config, rule, spec.brand, spec.mentions, now, deps.assumeConfigured ? { assumeConfigured: true } : {});
  const alertId = await tx.outbox.insertAlert({
    rule: rule.name,
    ruleHash: rule.hash,
    ruleType: rule.type,
    groupKey,
    brand: spec.brand,
    summary: spec.summary,
    details: spec.details,
    mentionIds: spec.claim ? ids : [],
    sampleMentionIds: spec.claim ? [] : ids,
    totalMentions: spec.totalMentions,
    createdAt: at,
    deliveries,
  });
  if (alertId === null) return null;
  await tx.rules.setGroupAlerted(rule.name, rule.hash, groupKey, at, alertId, spec.streak);
  log.info({ rule: rule.name, alert: alertId, mentions: spec.totalMentions, group: groupKey }, 'alert created');
  return alertId;
}

/** What an aggregate condition's state calls for now. */
export type AggregateStep = 'alert' | 'remind' | 'hold' | 'clear' | 'none';

/**
 * The firing state machine of aggregate conditions, the one definition the engine and the replay
 * share: a condition that starts firing alerts, unless the group alerted within the throttle
 * (then it is marked active and waits: 'hold'); one that keeps firing reminds once per throttle
 * (never without a throttle); one that stopped is cleared.
 */
export function aggregateStep(firing: boolean, active: boolean, lastAlertAt: number | null, throttleMs: number, now: number): AggregateStep {
  if (!firing) return active ? 'clear' : 'none';
  const withinThrottle = lastAlertAt !== null && throttleMs > 0 && now < lastAlertAt + throttleMs;
  if (active) return throttleMs === 0 || withinThrottle ? 'none' : 'remind';
  return withinThrottle ? 'hold' : 'alert';
}

/** Fires or clears one aggregate condition for a group; returns the alert id when one was created. */
export async function settle(
  deps: EngineDeps,
  rule: RuleConfig,
  groupKey: string,
  firing: boolean,
  now: Date,
  build: (tx: RuleStore) => Promise<Omit<AlertSpec, 'streak' | 'claim'>>,
): Promise<number | null> {
  const { store } = deps;
  const state = await store.rules.getGroup(rule.name, rule.hash, groupKey);
  const lastAlertAt = state.lastAlertAt ? Date.parse(state.lastAlertAt) : null;
  const step = aggregateStep(firing, state.active, lastAlertAt, throttleFor(rule, state.streak), now.getTime());
  if (step === 'none') return null;
  if (step === 'clear' || step === 'hold') {
    await store.rules.setGroupActive(rule.name, rule.hash, groupKey, step === 'hold');
    return null;
  }
  return store.transaction(async (tx) => {
    await tx.rules.setGroupActive(rule.name, rule.hash, groupKey, true);
    const spec = await build(tx);
    const reminder = step === 'remind' ? ['still firing since the previous alert'] : [];
    return createAlert(deps, tx, rule, groupKey, now, {
      ...spec,
      details: [...spec.details, ...reminder],
      claim: false,
      streak: nextStreak(rule, state.streak, lastAlertAt, now.getTime()),
    });
  });
}
