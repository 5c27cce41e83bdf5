/**
 * The live rule engine. Semantics (matching, groups, throttle) are documented in semantics.ts.
 *
 * Evaluation order, each step its own transaction so a crash between them loses nothing:
 *   1. evaluate: every stored mention with alert_state 'new' is run through every enabled rule
 *      (in file order); each match is added to its group's waiting list; the mention becomes
 *      'evaluated'. Mentions from a first poll outside `alert_backfill`, duplicates and quiet
 *      imports never reach this step.
 *   2. release: every waiting group that is due becomes one alert, written to the outbox with one
 *      delivery per destination, in the same transaction that clears the waiting list and
 *      records the group's alert time.
 * Delivery (pipeline/deliver.ts) then sends what the outbox holds.
 *
 * Invalid rules never get here: the config loader reports them, and the daemon keeps the last
 * good rule set when a reload has errors.
 */
import type { Config, RuleConfig } from '../config/load.js';
import { prepareText } from '../analyze/query/index.js';
import type { Logger } from '../core/log.js';
import { notifierPlugin } from '../notifiers/registry.js';
import type { Db } from '../store/db.js';
import { getMentions, newMentionIds, setAlertState } from '../store/mentions.js';
import { insertAlert } from '../store/outbox.js';
import {
  addPending,
  clearPending,
  getGroup,
  pendingGroups,
  reconcilePending,
  setGroupAlerted,
} from '../store/rule-state.js';
import { groupDue, groupDueAt, groupKeyFor, matchesRule, summarize } from './semantics.js';

export interface EngineDeps {
  db: Db;
  config: Config;
  log: Logger;
  now: () => Date;
}

/** Why a notifier cannot send (missing credentials), or null when it can. */
export function notifierProblem(config: Config, type: string): string | null {
  const plugin = notifierPlugin(type);
  if (!plugin) return `notifier ${type} is not available`;
  const missing = plugin.requiredEnv.filter((name) => !config.env[name]);
  return missing.length ? `${type} is not configured: set ${missing.join(', ')}` : null;
}

/** Step 1: runs rules over mentions not yet evaluated. Returns how many mentions were evaluated. */
export function evaluateNewMentions(deps: EngineDeps): number {
  const { db, config } = deps;
  const rules = config.rules.filter((r) => r.enabled);
  let total = 0;
  for (;;) {
    const ids = newMentionIds(db, 500);
    if (ids.length === 0) break;
    const at = deps.now().toISOString();
    db.transaction(() => {
      for (const mention of getMentions(db, ids)) {
        const prepared = rules.some((r) => r.match.text) ? prepareText(`${mention.title}\n${mention.text}`) : undefined;
        for (const rule of rules) {
          if (!matchesRule(rule.match, mention, prepared)) continue;
          addPending(db, rule.name, rule.hash, groupKeyFor(rule, mention), mention.id, at);
        }
        setAlertState(db, mention.id, 'evaluated');
      }
    }).immediate();
    total += ids.length;
  }
  return total;
}

export interface ReleaseOptions {
  /** Ignore group_wait (used by `poll --once`, which will not be around to wait). */
  flush?: boolean;
}

/** Step 2: turns due groups into alerts in the outbox. Returns the new alert ids. */
export function releaseDueGroups(deps: EngineDeps, options: ReleaseOptions = {}): number[] {
  const { db, config, log } = deps;
  const byName = new Map(config.rules.map((r) => [r.name, r]));
  const created: number[] = [];
  db.transaction(() => {
    const dropped = reconcilePending(
      db,
      config.rules.filter((r) => r.enabled).map((r) => ({ rule: r.name, hash: r.hash })),
    );
    if (dropped > 0) log.info({ dropped }, 'dropped waiting mentions of removed rules');
  }).immediate();

  const now = deps.now();
  for (const group of pendingGroups(db)) {
    const rule = byName.get(group.rule);
    if (!rule || rule.hash !== group.ruleHash) continue;
    const state = getGroup(db, rule.name, rule.hash, group.groupKey);
    const lastAlertAt = state.lastAlertAt ? Date.parse(state.lastAlertAt) : null;
    if (!groupDue(rule, Date.parse(group.firstAddedAt), lastAlertAt, now.getTime(), options.flush)) continue;
    const alertId = db
      .transaction(() => createAlert(deps, rule, group.groupKey, group.mentionIds, now))
      .immediate();
    if (alertId !== null) created.push(alertId);
  }
  return created;
}

function createAlert(deps: EngineDeps, rule: RuleConfig, groupKey: string, mentionIds: number[], now: Date): number | null {
  const { db, config, log } = deps;
  const mentions = getMentions(db, mentionIds);
  clearPending(db, rule.name, mentionIds);
  if (mentions.length === 0) return null;
  const brand = mentions[0]!.brand;
  const brandName = config.brands.get(brand)?.name ?? brand;
  const at = now.toISOString();
  const alertId = insertAlert(db, {
    rule: rule.name,
    ruleHash: rule.hash,
    ruleType: rule.type,
    groupKey,
    brand,
    summary: summarize(brandName, mentions),
    details: [],
    mentionIds: mentions.map((m) => m.id),
    totalMentions: mentions.length,
    createdAt: at,
    deliveries: rule.notify.map((n) => {
      const problem = notifierProblem(config, n.type);
      return problem
        ? { notifier: n.type, target: n.target, status: 'skipped' as const, error: problem }
        : { notifier: n.type, target: n.target };
    }),
  });
  if (alertId === null) return null;
  setGroupAlerted(db, rule.name, rule.hash, groupKey, at, alertId);
  log.info({ rule: rule.name, alert: alertId, mentions: mentions.length, group: groupKey }, 'alert created');
  return alertId;
}

/** The earliest time a waiting group becomes due, or null when nothing waits. */
export function nextReleaseAt(deps: EngineDeps): Date | null {
  const byName = new Map(deps.config.rules.map((r) => [r.name, r]));
  let earliest: number | null = null;
  for (const group of pendingGroups(deps.db)) {
    const rule = byName.get(group.rule);
    if (!rule) continue;
    const state = getGroup(deps.db, rule.name, rule.hash, group.groupKey);
    const at = groupDueAt(rule, Date.parse(group.firstAddedAt), state.lastAlertAt ? Date.parse(state.lastAlertAt) : null);
    if (earliest === null || at < earliest) earliest = at;
  }
  return earliest === null ? null : new Date(earliest);
}
