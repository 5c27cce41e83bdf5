/**
 * Deciding, when an alert is created, what happens to each of its deliveries:
 *   skipped     the notifier has no credentials (set them; later alerts will go out)
 *   suppressed  a silence is active for the rule, the destination's budget is spent, or quiet /
 *               active hours say `then: digest` — not sent; counted and listed in the digest
 *   held        quiet / active hours with `then: deliver` — sent when the window ends
 *   pending     sent now
 * An alert about a mention at least as urgent as the rule's or budget's `break_through` level
 * ignores hours and budgets (never a silence: silencing is an explicit human decision).
 */
import { formatDuration } from '../core/duration.js';
import type { Mention, UrgencyLevel } from '../core/types.js';
import type { NewAlert } from '../store/types.js';
import { heldUntil, isHeld } from './hours.js';
import type { BudgetConfig, NotifyTarget, RuleConfig, RuleContext } from './model.js';
import { notifierProblem } from './notifier-problem.js';
import type { RuleStore } from './rule-store.js';
import { urgencyRank } from './semantics.js';

function breaksThrough(level: UrgencyLevel | null, mentions: readonly Mention[]): boolean {
  if (!level) return false;
  return mentions.some((m) => urgencyRank(m.urgency.level) >= urgencyRank(level));
}

function budgetFor(config: RuleContext, target: NotifyTarget): BudgetConfig | undefined {
  return config.budgets.find((b) => b.destination.type === target.type && b.destination.target === target.target);
}

export interface PlanOptions {
  /** Plan as if every notifier had its credentials (the replay). */
  assumeConfigured?: boolean;
}

export async function planDeliveries(
  store: RuleStore,
  config: RuleContext,
  rule: RuleConfig,
  brand: string,
  mentions: readonly Mention[],
  now: Date,
  options: PlanOptions = {},
): Promise<NewAlert['deliveries']> {
  const at = now.toISOString();
  const silence = await store.silences.active(rule.name, brand, at);
  const urgentEnough = breaksThrough(rule.breakThrough, mentions);
  const hours = !urgentEnough && isHeld(rule.quietHours, rule.activeHours, now);
  const window = rule.quietHours && isHeld(rule.quietHours, null, now) ? rule.quietHours : rule.activeHours;
  const planned: NewAlert['deliveries'] = [];
  const counted = new Map<string, number>();
  for (const n of rule.notify) {
    const base = { notifier: n.type, target: n.target };
    const problem = options.assumeConfigured ? null : notifierProblem(config.env, n.type, n.target);
    if (problem) {
      planned.push({ ...base, status: 'skipped', error: problem });
      continue;
    }
    if (silence) {
      planned.push({ ...base, status: 'suppressed', holdReason: `silenced until ${silence.endsAt}: ${silence.reason}` });
      continue;
    }
    if (hours && window) {
      const label = rule.quietHours && window === rule.quietHours ? 'quiet hours' : 'outside active hours';
      if (window.then === 'digest') {
        planned.push({ ...base, status: 'suppressed', holdReason: `${label} (${window.from}-${window.to} ${window.timezone}); sent to the digest` });
        continue;
      }
      const until = heldUntil(rule.quietHours, rule.activeHours, now);
      if (until) {
        planned.push({ ...base, status: 'held', holdReason: `${label} (${window.from}-${window.to} ${window.timezone})`, notBefore: until.toISOString() });
        continue;
      }
    }
    const budget = budgetFor(config, n);
    if (budget && !breaksThrough(budget.breakThrough, mentions)) {
      const key = `${n.type}:${n.target}`;
      const used = (counted.get(key) ?? 0) + (await store.outbox.countDeliveriesSince(n.type, n.target, new Date(now.getTime() - budget.perMs).toISOString()));
      if (used >= budget.max) {
        planned.push({ ...base, status: 'suppressed', holdReason: `over budget: ${budget.max} alerts per ${formatDuration(budget.perMs)} to ${n.target}` });
        continue;
      }
      counted.set(key, (counted.get(key) ?? 0) + 1);
    }
    planned.push(base);
  }
  return planned;
}
