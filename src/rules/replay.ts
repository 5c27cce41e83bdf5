/**
 * Replays stored mentions through rules without sending or writing anything: what would the
 * rules have sent? It runs the live engine itself (engine.ts) over an in-memory store
 * (replay-store.ts), as a daemon that never misses a beat would: each mention arrives at its
 * publication time and the engine steps then, and at every time a waiting group becomes due
 * (a group due when mentions arrive is released before they are stored, as in the daemon, whose
 * polls end after the pass that released it). So group_wait, throttle (with growth), counting
 * windows, spike baselines, quiet hours and budgets are the live code, not a copy of it;
 * test/rules-equivalence.test.ts checks that random timelines give the same alerts both ways.
 *
 * Differences from live, by necessity: a spike's history starts at the first replayed mention
 * (the sources are taken as watched from then on; see spikeHistoryShortfall for what a quiet
 * spike rule is told); `first_from_author` knows only the replayed
 * mentions; silence rules depend on polls and are not replayed; active silences (`earshot
 * silence`) are not applied; deliveries are planned as if every notifier were configured.
 */
import { silentLogger } from '../core/log.js';
import type { Mention } from '../core/types.js';
import type { SourceState } from '../store/types.js';
import { nextReleaseAt, runEngine } from './engine.js';
import type { RuleConfig, RuleContext } from './model.js';
import type { EngineDeps } from './rule-store.js';
import { ReplayStore } from './replay-store.js';
import { historyNeededMs } from './spike.js';

export interface ReplayedAlert {
  rule: string;
  /** When the alert would have been created (ISO). */
  at: string;
  groupKey: string;
  summary: string;
  mentions: Mention[];
  destinations: string[];
  /** Set when quiet/active hours or a budget would have held the alert back. */
  heldBack: string | null;
}

/** The configured sources, watched since the first replayed mention (for spike baselines). */
function watchedFrom(config: RuleContext, at: string): SourceState[] {
  return config.sources.map((s) => ({
    sourceKey: s.key,
    brand: s.brand,
    type: s.type,
    settingsHash: null,
    firstSuccessAt: at,
    lastAttemptAt: at,
    lastSuccessAt: at,
    lastErrorAt: null,
    lastError: null,
    lastErrorKind: null,
    consecutiveFailures: 0,
    nextPollAt: null,
    pausedReason: null,
    rateRemaining: null,
    rateLimit: null,
    rateResetAt: null,
    createdAt: at,
    etag: null,
    lastModified: null,
    cursor: null,
  })) as unknown as SourceState[];
}

/** A planned delivery, as far as `heldBackOf` reads it. */
export interface PlannedDelivery {
  status?: string | undefined;
  holdReason?: string | null | undefined;
  notBefore?: string | null | undefined;
  target: string;
}

/** What held an alert back, as `rules test` shows it: quiet/active hours, or budgets per destination. */
export function heldBackOf(deliveries: readonly PlannedDelivery[]): string | null {
  const hours = deliveries.find((d) => d.status === 'held' || (d.status === 'suppressed' && d.holdReason?.endsWith('sent to the digest')));
  if (hours) return hours.status === 'held' ? `quiet/active hours: held until ${hours.notBefore ?? '?'}` : 'quiet/active hours: sent to the digest';
  const overBudget = deliveries.filter((d) => d.status === 'suppressed' && d.holdReason?.startsWith('over budget'));
  return overBudget.length ? overBudget.map((d) => `over budget for ${d.target}`).join('; ') : null;
}

/**
 * The alerts `rules` (default: the config's) would have created for `mentionsAsc` (in
 * publication order), oldest first.
 */
export interface ReplayOptions {
  /** The sources' poll state (spike baselines need their first success); default: watched since the first mention. */
  sourceStates?: SourceState[];
}

export async function replayRules(
  config: RuleContext,
  mentionsAsc: readonly Mention[],
  rules: readonly RuleConfig[] = config.rules,
  options: ReplayOptions = {},
): Promise<ReplayedAlert[]> {
  // Duplicates never reach the rules (live, they are stored already evaluated); time is publication.
  const mentions = mentionsAsc.filter((m) => m.duplicateOf === null).map((m) => ({ ...m, fetchedAt: m.publishedAt }));
  const store = new ReplayStore(mentions, options.sourceStates ?? (mentions.length ? watchedFrom(config, mentions[0]!.publishedAt) : []));
  await runTimeline(store, { ...config, rules: rules.filter((r) => r.type !== 'silence') }, mentions);
  const byId = new Map(mentions.map((m) => [m.id, m]));
  const notify = new Map(rules.map((r) => [r.name, r.notify.map((n) => `${n.type}:${n.target}`)]));
  return store.alerts
    .map((a) => ({
      rule: a.rule,
      at: a.createdAt,
      groupKey: a.groupKey,
      summary: a.summary,
      mentions: (a.mentionIds.length ? a.mentionIds : (a.sampleMentionIds ?? [])).map((id) => byId.get(id)!).filter(Boolean),
      destinations: notify.get(a.rule) ?? [],
      heldBack: heldBackOf(a.deliveries),
    }))
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/**
 * The daemon that never misses a beat: an engine step at each arrival, and at each time a waiting
 * group becomes due (before the arrivals of that time: the daemon's poll ends after the pass).
 */
async function runTimeline(store: ReplayStore, config: RuleContext, mentions: readonly Mention[]): Promise<void> {
  let now = new Date(0);
  const deps: EngineDeps = { store, config, log: silentLogger(), now: () => now, assumeConfigured: true };
  const step = async (at: number): Promise<void> => {
    now = new Date(at);
    await runEngine(deps, { silence: false });
  };
  const releaseUntil = async (until: number): Promise<void> => {
    for (;;) {
      const due = await nextReleaseAt(deps);
      if (due === null || due.getTime() > until) return;
      // A group the step at its time did not release would loop forever: a bug, said as one.
      if (due.getTime() <= now.getTime() && now.getTime() > 0) throw new Error(`replay: a group due at ${due.toISOString()} was not released at ${now.toISOString()}`);
      await step(due.getTime());
    }
  };
  for (const batch of arrivals(mentions)) {
    await releaseUntil(batch.at);
    for (const m of batch.mentions) store.arrive(m.id);
    await step(batch.at);
  }
  await releaseUntil(Number.POSITIVE_INFINITY);
}

/** Mentions grouped by publication time, in order. */
function arrivals(mentions: readonly Mention[]): Array<{ at: number; mentions: Mention[] }> {
  const out: Array<{ at: number; mentions: Mention[] }> = [];
  for (const m of [...mentions].sort((a, b) => (a.publishedAt < b.publishedAt ? -1 : a.publishedAt > b.publishedAt ? 1 : a.id - b.id))) {
    const at = Date.parse(m.publishedAt);
    const last = out.at(-1);
    if (last && last.at === at) last.mentions.push(m);
    else out.push({ at, mentions: [m] });
  }
  return out;
}

export interface HistoryShortfall {
  /** History a spike rule needs before it can fire: `baseline` windows and the current one. */
  needsMs: number;
  /** History the replay had: from its first mention to its last. */
  hasMs: number;
}

/** Why a spike rule could not fire in a replay of these mentions, or null when it had enough history. */
export function spikeHistoryShortfall(rule: RuleConfig, mentionsAsc: readonly Mention[]): HistoryShortfall | null {
  if (rule.type !== 'spike') return null;
  const times = mentionsAsc.filter((m) => m.duplicateOf === null).map((m) => Date.parse(m.publishedAt));
  const needsMs = historyNeededMs(rule);
  const hasMs = times.length ? times[times.length - 1]! - times[0]! : 0;
  return hasMs >= needsMs ? null : { needsMs, hasMs };
}
