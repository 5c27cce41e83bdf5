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
import type { PendingEntry, Repositories, RuleHit, Store } from '../store/types.js';
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
  store: Store;
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

async function isFirstFromAuthor(store: Repositories, m: Mention): Promise<boolean> {
  if (!m.author) return false;
  return store.mentions.isFirstFromAuthor(m.brand, m.author, m.id);
}

async function ruleMatches(store: Repositories, rule: RuleConfig, m: Mention, prepared: ReturnType<typeof prepareText> | undefined): Promise<boolean> {
  if (!matchesRule(rule.match, m, prepared)) return false;
  if (rule.match.firstFromAuthor && !(await isFirstFromAuthor(store, m))) return false;
  return true;
}

/** Counting rules whose definition changed (or are new) recount their hits from stored history. */
async function refreshHits(deps: EngineDeps): Promise<void> {
  const { store, config } = deps;
  for (const rule of config.rules.filter((r) => r.enabled && isCounting(r))) {
    const key = `rule_hits.${rule.name}`;
    if ((await store.meta.get(key)) === rule.hash) continue;
    const since = new Date(deps.now().getTime() - lookbackMs(rule)).toISOString();
    await store.transaction(async (tx) => {
      await tx.rules.clearHits(rule.name);
      const hits: RuleHit[] = [];
      for (const m of await tx.mentions.list({ since, order: 'asc' })) {
        const prepared = rule.match.text ? prepareText(`${m.title}\n${m.text}`) : undefined;
        if (await ruleMatches(tx, rule, m, prepared)) hits.push({ rule: rule.name, mentionId: m.id, groupKey: groupKeyFor(rule, m), at: hitTime(m) });
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
        const prepared = rules.some((r) => r.match.text) ? prepareText(`${mention.title}\n${mention.text}`) : undefined;
        for (const rule of rules) {
          if (!(await ruleMatches(tx, rule, mention, prepared))) continue;
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

export interface ReleaseOptions {
  /** Ignore group_wait (used by `poll --once`, which will not be around to wait). */
  flush?: boolean;
}

/** Step 2: turns due mention groups into alerts in the outbox. Returns the new alert ids. */
export async function releaseDueGroups(deps: EngineDeps, options: ReleaseOptions = {}): Promise<number[]> {
  const { store, config, log } = deps;
  const byName = new Map(config.rules.map((r) => [r.name, r]));
  const created: number[] = [];
  const dropped = await store.rules.reconcilePending(
    config.rules.filter((r) => r.enabled && r.type === 'mention').map((r) => ({ rule: r.name, hash: r.hash })),
  );
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

/** Writes the alert through `tx` (the caller's transaction) and records the group's alert time. */
async function createAlert(deps: EngineDeps, tx: Repositories, rule: RuleConfig, groupKey: string, now: Date, spec: AlertSpec): Promise<number | null> {
  const { config, log } = deps;
  const at = now.toISOString();
  const ids = spec.mentions.map((m) => m.id);
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
    deliveries: await planDeliveries(tx, config, rule, spec.brand, spec.mentions, now),
  });
  if (alertId === null) return null;
  await tx.rules.setGroupAlerted(rule.name, rule.hash, groupKey, at, alertId, spec.streak);
  log.info({ rule: rule.name, alert: alertId, mentions: spec.totalMentions, group: groupKey }, 'alert created');
  return alertId;
}

// ---------------------------------------------------------------- counting and silence rules

function brandOfGroup(config: Config, rule: RuleConfig, groupKey: string, sample: Mention[]): string {
  const fromKey = /(?:^|,)brand=([^,]+)/.exec(groupKey)?.[1];
  return fromKey ?? sample[0]?.brand ?? rule.match.brands?.[0] ?? [...config.brands.keys()][0] ?? '';
}

/** Fires or clears one aggregate condition for a group; returns the alert id when one was created. */
async function settle(
  deps: EngineDeps,
  rule: RuleConfig,
  groupKey: string,
  firing: boolean,
  now: Date,
  build: (tx: Repositories) => Promise<Omit<AlertSpec, 'streak' | 'claim'>>,
): Promise<number | null> {
  const { store } = deps;
  const state = await store.rules.getGroup(rule.name, rule.hash, groupKey);
  if (!firing) {
    if (state.active) await store.rules.setGroupActive(rule.name, rule.hash, groupKey, false);
    return null;
  }
  const lastAlertAt = state.lastAlertAt ? Date.parse(state.lastAlertAt) : null;
  const throttle = throttleFor(rule, state.streak);
  // Already firing: remind only with a throttle, once it has passed.
  if (state.active && (throttle === 0 || (lastAlertAt !== null && now.getTime() < lastAlertAt + throttle))) return null;
  if (!state.active && lastAlertAt !== null && throttle > 0 && now.getTime() < lastAlertAt + throttle) {
    await store.rules.setGroupActive(rule.name, rule.hash, groupKey, true);
    return null;
  }
  return store.transaction(async (tx) => {
    await tx.rules.setGroupActive(rule.name, rule.hash, groupKey, true);
    const spec = await build(tx);
    const reminder = state.active ? ['still firing since the previous alert'] : [];
    return createAlert(deps, tx, rule, groupKey, now, {
      ...spec,
      details: [...spec.details, ...reminder],
      claim: false,
      streak: nextStreak(rule, state.streak, lastAlertAt, now.getTime()),
    });
  });
}

/**
 * Earliest time the brands' mentions are known from (for spike baselines): the first successful
 * poll of their sources, or the earliest mention `earshot import` brought, whichever is earlier.
 * Imported history counts: an import is taken to cover its period the way the sources would have
 * (import what they would have seen, or the baseline is too low and spikes fire too easily).
 */
async function watchedSince(store: Store, config: Config, brands: Set<string>): Promise<number | null> {
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

async function evaluateCounting(deps: EngineDeps, rule: RuleConfig, now: Date): Promise<number[]> {
  const { store, config } = deps;
  const created: number[] = [];
  const t = now.getTime();
  const windowStart = new Date(t - rule.windowMs).toISOString();
  const current = await store.rules.countHits(rule.name, windowStart, now.toISOString());
  const groups = new Set([...current.keys(), ...(await store.rules.activeGroups(rule.name, rule.hash))]);
  if (rule.type === 'spike' && rule.direction !== 'up') groups.add(rule.groupBy.length ? '' : '*');
  const brands = new Set(rule.match.brands ?? config.brands.keys());
  const since = await watchedSince(store, config, brands);
  const historyOk = since !== null && t - since >= rule.windowMs * (rule.baseline + 1);

  const baselineCounts: Map<string, number>[] = [];
  if (rule.type === 'spike' && historyOk) {
    for (let k = 1; k <= rule.baseline; k++) {
      const from = new Date(t - rule.windowMs * (k + 1)).toISOString();
      const to = new Date(t - rule.windowMs * k).toISOString();
      baselineCounts.push(await store.rules.countHits(rule.name, from, to));
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
    const id = await settle(deps, rule, groupKey, firing, now, async (tx) => {
      const sample = await tx.mentions.get(await tx.rules.sampleHits(rule.name, groupKey, windowStart, now.toISOString(), SAMPLE_SIZE));
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

async function evaluateSilence(deps: EngineDeps, rule: RuleConfig, now: Date): Promise<number[]> {
  const { store, config } = deps;
  const created: number[] = [];
  const t = now.getTime();
  const cutoff = t - rule.silenceForMs;
  const states = new Map((await store.sources.list()).map((s) => [s.sourceKey, s]));
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
      const id = await settle(deps, rule, `source=${s.key}`, firing, now, async () => {
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
      const lastAt = await store.mentions.lastFetchedAt(brand, keys);
      const watching = keys
        .map((k) => states.get(k)?.firstSuccessAt)
        .filter((x): x is string => Boolean(x))
        .sort()[0];
      const since = lastAt ?? watching ?? null;
      const firing = since !== null && Date.parse(since) <= cutoff;
      const id = await settle(deps, rule, `brand=${brand}`, firing, now, async () => ({
        brand,
        summary: `Silence: no new mentions of ${config.brands.get(brand)?.name ?? brand} for ${formatDuration(t - Date.parse(since!))}`,
        details: [lastAt ? `last mention fetched at ${lastAt}` : 'no mention stored since the sources started'],
        mentions: [],
        totalMentions: 0,
      }));
      if (id !== null) created.push(id);
    }
  }
  return created;
}

/** Step 3: counting (volume, spike) and silence rules. Returns the new alert ids. */
export async function evaluateAggregates(deps: EngineDeps): Promise<number[]> {
  const now = deps.now();
  const created: number[] = [];
  for (const rule of deps.config.rules) {
    if (!rule.enabled) continue;
    try {
      if (isCounting(rule)) created.push(...(await evaluateCounting(deps, rule, now)));
      else if (rule.type === 'silence') created.push(...(await evaluateSilence(deps, rule, now)));
    } catch (err) {
      deps.log.error({ rule: rule.name, err }, 'rule evaluation failed');
    }
  }
  return created;
}

/** The earliest time a waiting group becomes due, or null when nothing waits. */
export async function nextReleaseAt(deps: EngineDeps): Promise<Date | null> {
  const byName = new Map(deps.config.rules.map((r) => [r.name, r]));
  let earliest: number | null = null;
  for (const group of await deps.store.rules.pendingGroups()) {
    const rule = byName.get(group.rule);
    if (!rule) continue;
    const state = await deps.store.rules.getGroup(rule.name, rule.hash, group.groupKey);
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
