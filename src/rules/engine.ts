/**
 * The live rule engine. What rules mean (matching, groups, throttle, counting rules, silence) is
 * documented in semantics.ts; what happens to each delivery (held, suppressed) in delivery-plan.ts.
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
import type { Config, RuleConfig } from '../config/load.js';
import { prepareText } from '../analyze/query/index.js';
import { formatDuration } from '../core/duration.js';
import type { Logger } from '../core/log.js';
import type { Mention } from '../core/types.js';
import { getMeta, setMeta, stmt, type Db } from '../store/db.js';
import { getMentions, importedHistoryFrom, listMentions, newMentionIds, setAlertState } from '../store/mentions.js';
import { insertAlert } from '../store/outbox.js';
import {
  activeGroups,
  addHit,
  addPending,
  clearHits,
  clearPending,
  countHits,
  getGroup,
  pendingGroups,
  reconcilePending,
  sampleHits,
  setGroupActive,
  setGroupAlerted,
} from '../store/rule-state.js';
import { listSourceStates } from '../store/source-state.js';
import { sourceLabel } from '../sources/registry.js';
import { planDeliveries } from './delivery-plan.js';
import {
  countingSummary,
  groupDue,
  groupDueAt,
  groupKeyFor,
  lookbackMs,
  matchesRule,
  nextStreak,
  spikeVerdict,
  summarize,
  throttleFor,
} from './semantics.js';

export interface EngineDeps {
  db: Db;
  config: Config;
  log: Logger;
  now: () => Date;
}

const SAMPLE_SIZE = 5;
const isCounting = (r: RuleConfig) => r.type === 'volume' || r.type === 'spike';

/** The time a mention counts at in windows: its publication, or its fetch if that was earlier (clock skew). */
function hitTime(m: Mention): string {
  return m.publishedAt < m.fetchedAt ? m.publishedAt : m.fetchedAt;
}

function isFirstFromAuthor(db: Db, m: Mention): boolean {
  if (!m.author) return false;
  return (
    stmt<[string, string, number]>(
      db,
      'SELECT 1 FROM mentions WHERE brand = ? AND author = ? COLLATE NOCASE AND id < ? AND duplicate_of IS NULL LIMIT 1',
    ).get(m.brand, m.author, m.id) === undefined
  );
}

function ruleMatches(db: Db, rule: RuleConfig, m: Mention, prepared: ReturnType<typeof prepareText> | undefined): boolean {
  if (!matchesRule(rule.match, m, prepared)) return false;
  if (rule.match.firstFromAuthor && !isFirstFromAuthor(db, m)) return false;
  return true;
}

/** Counting rules whose definition changed (or are new) recount their hits from stored history. */
function refreshHits(deps: EngineDeps): void {
  const { db, config } = deps;
  for (const rule of config.rules.filter((r) => r.enabled && isCounting(r))) {
    const key = `rule_hits.${rule.name}`;
    if (getMeta(db, key) === rule.hash) continue;
    const since = new Date(deps.now().getTime() - lookbackMs(rule)).toISOString();
    db.transaction(() => {
      clearHits(db, rule.name);
      for (const m of listMentions(db, { since, order: 'asc' })) {
        const prepared = rule.match.text ? prepareText(`${m.title}\n${m.text}`) : undefined;
        if (ruleMatches(db, rule, m, prepared)) addHit(db, rule.name, m.id, groupKeyFor(rule, m), hitTime(m));
      }
      setMeta(db, key, rule.hash);
    }).immediate();
  }
}

/** Step 1: runs rules over mentions not yet evaluated. Returns how many mentions were evaluated. */
export function evaluateNewMentions(deps: EngineDeps): number {
  const { db, config } = deps;
  refreshHits(deps);
  const rules = config.rules.filter((r) => r.enabled && (r.type === 'mention' || isCounting(r)));
  let total = 0;
  for (;;) {
    const ids = newMentionIds(db, 500);
    if (ids.length === 0) break;
    const at = deps.now().toISOString();
    db.transaction(() => {
      for (const mention of getMentions(db, ids)) {
        const prepared = rules.some((r) => r.match.text) ? prepareText(`${mention.title}\n${mention.text}`) : undefined;
        for (const rule of rules) {
          if (!ruleMatches(db, rule, mention, prepared)) continue;
          const group = groupKeyFor(rule, mention);
          if (rule.type === 'mention') addPending(db, rule.name, rule.hash, group, mention.id, at);
          else addHit(db, rule.name, mention.id, group, hitTime(mention));
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

/** Step 2: turns due mention groups into alerts in the outbox. Returns the new alert ids. */
export function releaseDueGroups(deps: EngineDeps, options: ReleaseOptions = {}): number[] {
  const { db, config, log } = deps;
  const byName = new Map(config.rules.map((r) => [r.name, r]));
  const created: number[] = [];
  db.transaction(() => {
    const dropped = reconcilePending(
      db,
      config.rules.filter((r) => r.enabled && r.type === 'mention').map((r) => ({ rule: r.name, hash: r.hash })),
    );
    for (const [rule, count] of dropped) log.info({ rule, dropped: count }, 'rule removed: its waiting mentions are dropped');
  }).immediate();

  const now = deps.now();
  for (const group of pendingGroups(db)) {
    const rule = byName.get(group.rule);
    if (!rule || rule.hash !== group.ruleHash) continue;
    const state = getGroup(db, rule.name, rule.hash, group.groupKey);
    const lastAlertAt = state.lastAlertAt ? Date.parse(state.lastAlertAt) : null;
    const throttle = throttleFor(rule, state.streak);
    if (!groupDue(rule, Date.parse(group.firstAddedAt), lastAlertAt, now.getTime(), options.flush, throttle)) continue;
    const alertId = db
      .transaction(() => {
        const mentions = getMentions(db, group.mentionIds);
        clearPending(db, rule.name, group.mentionIds);
        if (mentions.length === 0) return null;
        const brandName = config.brands.get(mentions[0]!.brand)?.name ?? mentions[0]!.brand;
        const streak = nextStreak(rule, state.streak, lastAlertAt, now.getTime());
        return createAlert(deps, rule, group.groupKey, now, {
          brand: mentions[0]!.brand,
          summary: summarize(brandName, mentions),
          details: throttle > 0 && lastAlertAt !== null ? [`throttled: at most one alert per ${formatDuration(throttleFor(rule, streak))} for this group`] : [],
          mentions,
          claim: true,
          totalMentions: mentions.length,
          streak,
        });
      })
      .immediate();
    if (alertId !== null) created.push(alertId);
  }
  return created;
}

interface AlertSpec {
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

function createAlert(deps: EngineDeps, rule: RuleConfig, groupKey: string, now: Date, spec: AlertSpec): number | null {
  const { db, config, log } = deps;
  const at = now.toISOString();
  const ids = spec.mentions.map((m) => m.id);
  const alertId = insertAlert(db, {
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
    deliveries: planDeliveries(db, config, rule, spec.brand, spec.mentions, now),
  });
  if (alertId === null) return null;
  setGroupAlerted(db, rule.name, rule.hash, groupKey, at, alertId, spec.streak);
  log.info({ rule: rule.name, alert: alertId, mentions: spec.totalMentions, group: groupKey }, 'alert created');
  return alertId;
}

// ---------------------------------------------------------------- counting and silence rules

function brandOfGroup(config: Config, rule: RuleConfig, groupKey: string, sample: Mention[]): string {
  const fromKey = /(?:^|,)brand=([^,]+)/.exec(groupKey)?.[1];
  return fromKey ?? sample[0]?.brand ?? rule.match.brands?.[0] ?? [...config.brands.keys()][0] ?? '';
}

/** Fires or clears one aggregate condition for a group; returns the alert id when one was created. */
function settle(
  deps: EngineDeps,
  rule: RuleConfig,
  groupKey: string,
  firing: boolean,
  now: Date,
  build: () => Omit<AlertSpec, 'streak' | 'claim'>,
): number | null {
  const { db } = deps;
  const state = getGroup(db, rule.name, rule.hash, groupKey);
  if (!firing) {
    if (state.active) setGroupActive(db, rule.name, rule.hash, groupKey, false);
    return null;
  }
  const lastAlertAt = state.lastAlertAt ? Date.parse(state.lastAlertAt) : null;
  const throttle = throttleFor(rule, state.streak);
  // Already firing: remind only with a throttle, once it has passed.
  if (state.active && (throttle === 0 || (lastAlertAt !== null && now.getTime() < lastAlertAt + throttle))) return null;
  if (!state.active && lastAlertAt !== null && throttle > 0 && now.getTime() < lastAlertAt + throttle) {
    setGroupActive(db, rule.name, rule.hash, groupKey, true);
    return null;
  }
  return db
    .transaction(() => {
      setGroupActive(db, rule.name, rule.hash, groupKey, true);
      const spec = build();
      const reminder = state.active ? ['still firing since the previous alert'] : [];
      return createAlert(deps, rule, groupKey, now, {
        ...spec,
        details: [...spec.details, ...reminder],
        claim: false,
        streak: nextStreak(rule, state.streak, lastAlertAt, now.getTime()),
      });
    })
    .immediate();
}

/**
 * Earliest time the brands' mentions are known from (for spike baselines): the first successful
 * poll of their sources, or the earliest mention `earshot import` brought, whichever is earlier.
 * Imported history counts: an import is taken to cover its period the way the sources would have
 * (import what they would have seen, or the baseline is too low and spikes fire too easily).
 */
function watchedSince(db: Db, config: Config, brands: Set<string>): number | null {
  let earliest: number | null = null;
  const consider = (iso: string | null) => {
    if (!iso) return;
    const t = Date.parse(iso);
    if (earliest === null || t < earliest) earliest = t;
  };
  for (const s of listSourceStates(db)) {
    if (!brands.has(s.brand) || !s.firstSuccessAt) continue;
    if (!config.sources.some((c) => c.key === s.sourceKey)) continue;
    consider(s.firstSuccessAt);
  }
  for (const brand of brands) consider(importedHistoryFrom(db, brand));
  return earliest;
}

function evaluateCounting(deps: EngineDeps, rule: RuleConfig, now: Date): number[] {
  const { db, config } = deps;
  const created: number[] = [];
  const t = now.getTime();
  const windowStart = new Date(t - rule.windowMs).toISOString();
  const current = countHits(db, rule.name, windowStart, now.toISOString());
  const groups = new Set([...current.keys(), ...activeGroups(db, rule.name, rule.hash)]);
  if (rule.type === 'spike' && rule.direction !== 'up') groups.add(rule.groupBy.length ? '' : '*');
  const brands = new Set(rule.match.brands ?? config.brands.keys());
  const since = watchedSince(db, config, brands);
  const historyOk = since !== null && t - since >= rule.windowMs * (rule.baseline + 1);

  const baselineCounts: Map<string, number>[] = [];
  if (rule.type === 'spike' && historyOk) {
    for (let k = 1; k <= rule.baseline; k++) {
      const from = new Date(t - rule.windowMs * (k + 1)).toISOString();
      const to = new Date(t - rule.windowMs * k).toISOString();
      baselineCounts.push(countHits(db, rule.name, from, to));
    }
  }

  for (const groupKey of groups) {
    if (groupKey === '') continue;
    const n = current.get(groupKey) ?? 0;
    let firing = false;
    let verdict: ReturnType<typeof spikeVerdict> = null;
    if (rule.type === 'volume') firing = n >= rule.count;
    else if (historyOk) {
      verdict = spikeVerdict(rule, n, baselineCounts.map((m) => m.get(groupKey) ?? 0));
      firing = verdict !== null;
    }
    const id = settle(deps, rule, groupKey, firing, now, () => {
      const sample = getMentions(db, sampleHits(db, rule.name, groupKey, windowStart, now.toISOString(), SAMPLE_SIZE));
      const brand = brandOfGroup(config, rule, groupKey, sample);
      const name = config.brands.get(brand)?.name ?? brand;
      const window = formatDuration(rule.windowMs);
      const summary = countingSummary(rule, name, groupKey, n, verdict);
      const details =
        rule.type === 'volume'
          ? [`threshold: ${rule.count} in ${window}`]
          : verdict?.kind === 'up'
            ? [`baseline: average of the previous ${rule.baseline} windows of ${window}; fires at ${rule.factor}x and at least ${rule.count}`]
            : [`baseline: average of the previous ${rule.baseline} windows of ${window}; a source may have stopped working`];
      return { brand, summary, details, mentions: sample, totalMentions: n };
    });
    if (id !== null) created.push(id);
  }
  return created;
}

function evaluateSilence(deps: EngineDeps, rule: RuleConfig, now: Date): number[] {
  const { db, config } = deps;
  const created: number[] = [];
  const t = now.getTime();
  const cutoff = t - rule.silenceForMs;
  const states = new Map(listSourceStates(db).map((s) => [s.sourceKey, s]));
  const sources = config.sources.filter(
    (s) =>
      s.enabled &&
      s.missingEnv.length === 0 &&
      (!rule.match.brands || rule.match.brands.includes(s.brand)) &&
      (!rule.match.sources || rule.match.sources.includes(s.type)),
  );

  if (rule.silenceOf !== 'mentions') {
    for (const s of sources) {
      const st = states.get(s.key);
      const since = st?.lastSuccessAt ?? st?.createdAt ?? null;
      const firing = since !== null && Date.parse(since) <= cutoff;
      const id = settle(deps, rule, `source=${s.key}`, firing, now, () => {
        const name = config.brands.get(s.brand)?.name ?? s.brand;
        const what = st?.lastSuccessAt ? `since ${st.lastSuccessAt}` : 'ever';
        return {
          brand: s.brand,
          summary: `Silence: no successful poll of ${s.key} (${name}, ${sourceLabel(s.type)}) for ${formatDuration(t - Date.parse(since!))}`,
          details: [`no successful poll ${what}`, ...(st?.lastError ? [`last error: ${st.lastError}`] : [])],
          mentions: [],
          totalMentions: 0,
        };
      });
      if (id !== null) created.push(id);
    }
  }

  if (rule.silenceOf !== 'polls') {
    const brands = [...new Set(sources.map((s) => s.brand))];
    for (const brand of brands) {
      const keys = sources.filter((s) => s.brand === brand).map((s) => s.key);
      const placeholders = keys.map(() => '?').join(',');
      const last = db
        .prepare(`SELECT MAX(fetched_at) AS at FROM mentions WHERE brand = ? AND source_key IN (${placeholders})`)
        .get(brand, ...keys) as { at: string | null };
      const watching = keys
        .map((k) => states.get(k)?.firstSuccessAt)
        .filter((x): x is string => Boolean(x))
        .sort()[0];
      const since = last.at ?? watching ?? null;
      const firing = since !== null && Date.parse(since) <= cutoff;
      const id = settle(deps, rule, `brand=${brand}`, firing, now, () => ({
        brand,
        summary: `Silence: no new mentions of ${config.brands.get(brand)?.name ?? brand} for ${formatDuration(t - Date.parse(since!))}`,
        details: [last.at ? `last mention fetched at ${last.at}` : 'no mention stored since the sources started'],
        mentions: [],
        totalMentions: 0,
      }));
      if (id !== null) created.push(id);
    }
  }
  return created;
}

/** Step 3: counting (volume, spike) and silence rules. Returns the new alert ids. */
export function evaluateAggregates(deps: EngineDeps): number[] {
  const now = deps.now();
  const created: number[] = [];
  for (const rule of deps.config.rules) {
    if (!rule.enabled) continue;
    try {
      if (isCounting(rule)) created.push(...evaluateCounting(deps, rule, now));
      else if (rule.type === 'silence') created.push(...evaluateSilence(deps, rule, now));
    } catch (err) {
      deps.log.error({ rule: rule.name, err }, 'rule evaluation failed');
    }
  }
  return created;
}

/** The earliest time a waiting group becomes due, or null when nothing waits. */
export function nextReleaseAt(deps: EngineDeps): Date | null {
  const byName = new Map(deps.config.rules.map((r) => [r.name, r]));
  let earliest: number | null = null;
  for (const group of pendingGroups(deps.db)) {
    const rule = byName.get(group.rule);
    if (!rule) continue;
    const state = getGroup(deps.db, rule.name, rule.hash, group.groupKey);
    const at = groupDueAt(
      rule,
      Date.parse(group.firstAddedAt),
      state.lastAlertAt ? Date.parse(state.lastAlertAt) : null,
      throttleFor(rule, state.streak),
    );
    if (earliest === null || at < earliest) earliest = at;
  }
  return earliest === null ? null : new Date(earliest);
}
