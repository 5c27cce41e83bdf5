/**
 * The rule engine: one step over a store, the same for the daemon (its Store) and the replay of
 * `earshot rules test` (an in-memory store, replay-store.ts). What rules mean (matching, groups,
 * throttle) is documented in semantics.ts; each rule type's own behaviour is in its file
 * (mention.ts, volume.ts, spike.ts, silence.ts); what happens to each delivery (held, suppressed)
 * in delivery-plan.ts.
 *
 * Evaluation order, each step its own transaction so a crash between them loses nothing:
 *   1. evaluate: every stored mention with alert_state 'new' is run through every enabled rule
 *      (in file order). A `mention` rule adds it to its group's waiting list; a counting rule
 *      (volume, spike) records a hit. The mention becomes 'evaluated'. Mentions from a first poll
 *      outside `alert_backfill`, duplicates and quiet imports never reach this step.
 *   2. release: every waiting group that is due becomes one alert, written to the outbox with one
 *      delivery per destination, in the same transaction that clears the waiting list and
 *      records the group's alert time.
 *   3. aggregates: counting and silence rules are checked against their windows; a condition
 *      that starts firing becomes one alert (again only after it cleared, or per throttle).
 * Delivery (pipeline/deliver.ts) then sends what the outbox holds.
 *
 * A rule whose definition changed recounts its hits from stored history, so an edited spike
 * rule keeps its baseline. Invalid rules never get here: the config loader reports them, and
 * the daemon keeps the last good rule set when a reload has errors.
 */
import { prepareText, type PreparedText } from '../analyze/query/index.js';
import type { Mention } from '../core/types.js';
import type { PendingEntry, RuleHit } from '../store/types.js';
import { hitTime, lookbackMs } from './counting.js';
import { releaseMentionGroups, type ReleaseOptions } from './mention.js';
import { isCounting, type CountingRule, type RuleConfig } from './model.js';
import type { EngineDeps, RuleStore } from './rule-store.js';
import { evaluateSilenceRule } from './silence.js';
import { groupKeyFor, matchesRule } from './semantics.js';
import { evaluateSpikeRule } from './spike.js';
import { evaluateVolumeRule } from './volume.js';

export { nextReleaseAt, type ReleaseOptions } from './mention.js';
export type { EngineDeps, RuleStore } from './rule-store.js';

/**
 * Whether the rule selects the mention. Only first_from_author needs the store; every other
 * condition is decided in memory, without a promise per mention and rule (the engine runs every
 * rule over every new mention).
 */
function ruleMatches(store: RuleStore, rule: RuleConfig, m: Mention, prepared: PreparedText | undefined): boolean | Promise<boolean> {
  if (!matchesRule(rule.match, m, prepared)) return false;
  if (!rule.match.firstFromAuthor) return true;
  return m.author ? store.mentions.isFirstFromAuthor(m.brand, m.author, m.id) : false;
}

function textOf(m: Mention, rules: readonly RuleConfig[]): PreparedText | undefined {
  return rules.some((r) => r.match.text) ? prepareText(`${m.title}\n${m.text}`) : undefined;
}

/** Counting rules whose definition changed (or are new) recount their hits from stored history. */
async function refreshHits(deps: EngineDeps): Promise<void> {
  const { store, config } = deps;
  for (const rule of config.rules.filter((r): r is CountingRule => r.enabled && isCounting(r))) {
    const key = `rule_hits.${rule.name}`;
    if ((await store.meta.get(key)) === rule.hash) continue;
    const since = new Date(deps.now().getTime() - lookbackMs(rule)).toISOString();
    await store.transaction(async (tx) => {
      await tx.rules.clearHits(rule.name);
      const hits: RuleHit[] = [];
      for (const m of await tx.mentions.list({ since, order: 'asc' })) {
        const matched = ruleMatches(tx, rule, m, textOf(m, [rule]));
        if (matched === true || (matched !== false && (await matched))) hits.push({ rule: rule.name, mentionId: m.id, groupKey: groupKeyFor(rule, m), at: hitTime(m) });
      }
      await tx.rules.addHits(hits);
      await tx.meta.set(key, rule.hash);
    });
  }
}

/** Step 1: runs rules over mentions not yet evaluated. Returns how many mentions were evaluated. */
export async function evaluateNewMentions(deps: EngineDeps): Promise<number> {
  const { store, config } = deps;
  await refreshHits(deps);
  const rules = config.rules.filter((r) => r.enabled && (r.type === 'mention' || isCounting(r)));
  let total = 0;
  for (;;) {
    const ids = await store.mentions.newIds(500);
    if (ids.length === 0) break;
    const at = deps.now().toISOString();
    await store.transaction(async (tx) => {
      const pending: PendingEntry[] = [];
      const hits: RuleHit[] = [];
      for (const mention of await tx.mentions.get(ids)) {
        const prepared = textOf(mention, rules);
        for (const rule of rules) {
          const matched = ruleMatches(tx, rule, mention, prepared);
          if (matched === false || (matched !== true && !(await matched))) continue;
          const groupKey = groupKeyFor(rule, mention);
          if (rule.type === 'mention') pending.push({ rule: rule.name, hash: rule.hash, groupKey, mentionId: mention.id, at });
          else hits.push({ rule: rule.name, mentionId: mention.id, groupKey, at: hitTime(mention) });
        }
      }
      await tx.rules.addPending(pending);
      await tx.rules.addHits(hits);
      await tx.mentions.setAlertState(ids, 'evaluated');
    });
    total += ids.length;
  }
  return total;
}

/** Step 2: turns due mention groups into alerts in the outbox. Returns the new alert ids. */
export function releaseDueGroups(deps: EngineDeps, options: ReleaseOptions = {}): Promise<number[]> {
  return releaseMentionGroups(deps, options);
}

/** One aggregate rule at `now`, by its type. */
function evaluateAggregate(deps: EngineDeps, rule: RuleConfig, now: Date): Promise<number[]> {
  switch (rule.type) {
    case 'volume':
      return evaluateVolumeRule(deps, rule, now);
    case 'spike':
      return evaluateSpikeRule(deps, rule, now);
    case 'silence':
      return evaluateSilenceRule(deps, rule, now);
    case 'mention':
      return Promise.resolve([]);
  }
}

/** Step 3: counting (volume, spike) and silence rules. Returns the new alert ids. */
export async function evaluateAggregates(deps: EngineDeps, options: { silence?: boolean } = {}): Promise<number[]> {
  const now = deps.now();
  const created: number[] = [];
  for (const rule of deps.config.rules) {
    if (!rule.enabled || (rule.type === 'silence' && options.silence === false)) continue;
    try {
      created.push(...(await evaluateAggregate(deps, rule, now)));
    } catch (err) {
      deps.log.error({ rule: rule.name, err }, 'rule evaluation failed');
    }
  }
  return created;
}

/** Steps 1 to 3, as the daemon, `poll --once` and `import` run them after new mentions. Returns new alert ids. */
export async function runEngine(deps: EngineDeps, options: ReleaseOptions & { silence?: boolean } = {}): Promise<number[]> {
  await evaluateNewMentions(deps);
  const released = await releaseDueGroups(deps, options);
  return [...released, ...(await evaluateAggregates(deps, options))];
}
