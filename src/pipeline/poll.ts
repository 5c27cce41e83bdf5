/**
 * One poll of one configured source: load its state, call the source, ingest what it returns,
 * record the outcome. A failing source records its error and backs off; it never throws to the
 * caller, so one broken feed never stops the others.
 *
 * Back-off after failures: every * 2^(failures-1), capped at 1 hour (or the source's `every` if
 * longer), and never sooner than a Retry-After / rate-limit reset the service asked for.
 * Authentication failures (401/403) pause the source until its config or environment changes:
 * retrying a revoked key every minute helps nobody (it is re-checked once an hour).
 */
import type { BrandConfig, Config, SourceConfig } from '../config/load.js';
import { formatDuration } from '../core/duration.js';
import type { Logger } from '../core/log.js';
import type { Analyzer, FetchedItem } from '../core/types.js';
import { sourcePlugin } from '../sources/registry.js';
import { SourceError, type PollResult, type SourceContext, type SourcePlugin } from '../sources/types.js';
import { observePoll } from '../core/metrics.js';
import type { Store, StoredCursor } from '../store/types.js';
import type { PollBudget } from './budgets.js';
import { ingestItems, type IngestResult } from './ingest.js';
import type { PreparedItem } from './prepare.js';

/**
 * Prepares items (query match, analysis, fingerprint) ahead of storage, e.g. in a worker thread
 * while this thread fetches and stores other sources; resolves to null to prepare inline.
 */
export type PrepareAhead = (brandId: string, items: FetchedItem[]) => Promise<PreparedItem[] | null>;

export interface PollDeps {
  store: Store;
  config: Config;
  analyzer: Analyzer;
  log: Logger;
  now: () => Date;
  signal?: AbortSignal;
  /** Upper bound for one poll, default 2 minutes. */
  pollTimeoutMs?: number;
  prepare?: PrepareAhead;
  /** Nodes sharing PostgreSQL: the API budget every node draws from (src/pipeline/budgets.ts). */
  budget?: PollBudget;
}

export type PollOutcome =
  | { status: 'ok'; sourceKey: string; ingest: IngestResult; notModified: boolean; gaps: string[]; nextPollAt: Date; firstPoll?: FirstPoll }
  | { status: 'error'; sourceKey: string; error: string; kind: string; nextPollAt: Date }
  | { status: 'skipped'; sourceKey: string; reason: string };

/** A source's first poll stored mentions without alerting on them (alert_backfill): said in status for a week. */
export interface FirstPoll {
  at: string;
  storedWithoutAlerts: number;
  /** As a duration ('0', '1d'). */
  alertBackfill: string;
  /** The sources/*.yaml file where alert_backfill can be set. */
  file: string;
}

export function firstPollMetaKey(sourceKey: string): string {
  return `source.first_poll.${sourceKey}`;
}

const MAX_BACKOFF_MS = 3_600_000;
const AUTH_PAUSE_MS = 3_600_000;

export function backoffMs(everyMs: number, failures: number): number {
  const grown = everyMs * 2 ** Math.max(0, failures - 1);
  return Math.min(grown, Math.max(MAX_BACKOFF_MS, everyMs));
}

/** Why a configured source is not polled now, or null when it is. */
function skipReason(source: SourceConfig, known: boolean): string | null {
  if (!known) return 'not configured';
  if (!source.enabled) return 'disabled in config';
  if (source.missingEnv.length > 0) return `missing ${source.missingEnv.join(', ')}`;
  return null;
}

export async function pollSource(deps: PollDeps, source: SourceConfig): Promise<PollOutcome> {
  const plugin = sourcePlugin(source.type);
  const brand = deps.config.brands.get(source.brand);
  const skip = skipReason(source, Boolean(plugin && brand));
  if (skip || !plugin || !brand) return { status: 'skipped', sourceKey: source.key, reason: skip ?? 'not configured' };
  const state = await deps.store.sources.ensure(source.key, source.brand, source.type, source.settingsHash);
  const startedAt = deps.now();
  const polled = await callSource(deps, source, plugin, state, startedAt);
  if ('status' in polled) return polled;
  const result = polled.result;
  const finishedAt = deps.now();
  const prepared = deps.prepare ? await prepareNew(deps, deps.prepare, source, result.items) : undefined;
  // First successful poll of this source (or of its current settings): alert only within alert_backfill.
  const alertFrom = state.firstSuccessAt ? null : new Date(finishedAt.getTime() - source.alertBackfillMs);
  const ingest = await ingestItems(
    { store: deps.store, analyzer: deps.analyzer, brand: brand as BrandConfig, source: source.type, sourceKey: source.key, now: finishedAt, alertFrom },
    result.items,
    prepared,
  );
  const nextPollAt = new Date(finishedAt.getTime() + Math.max(source.everyMs, result.minDelayMs ?? 0));
  await recordPollSuccess(deps, source, result, ingest, { startedAt, finishedAt, nextPollAt });
  const firstPoll = await reportPoll(deps, source, result, ingest, { startedAt, finishedAt, first: alertFrom !== null });
  return { status: 'ok', sourceKey: source.key, ingest, notModified: Boolean(result.notModified), gaps: result.gaps ?? [], nextPollAt, ...(firstPoll ? { firstPoll } : {}) };
}

/**
 * One call of the source's `poll`, within the cluster's shared API budget when there is one (a
 * spent budget is a rate-limit failure without a call; what the API reports is shared back).
 */
async function callSource(
  deps: PollDeps,
  source: SourceConfig,
  plugin: SourcePlugin<Record<string, unknown>>,
  state: StoredCursor & { consecutiveFailures: number },
  startedAt: Date,
): Promise<{ result: PollResult } | PollOutcome> {
  const { log } = deps;
  if (deps.budget) {
    const taken = await deps.budget.take(source.type);
    if (!taken.granted) {
      // Not called at all: the cluster's shared budget for this API is spent until then.
      const why = taken.blockedReason ? `${taken.blockedReason}; ` : '';
      const error = new SourceError('rate_limit', `${source.key}: the ${source.type} API budget shared by the cluster is spent (${why}next call in ${formatDuration(taken.waitMs)})`, {
        retryAfterMs: taken.waitMs,
      });
      return recordPollFailure(deps, source, error, startedAt, state.consecutiveFailures + 1);
    }
  }
  let result: PollResult;
  try {
    result = await plugin.poll(pollContext(deps, source, state));
  } catch (err) {
    if (deps.budget && err instanceof SourceError && err.kind === 'rate_limit') {
      const until = new Date(deps.now().getTime() + (err.retryAfterMs ?? 60_000)).toISOString();
      await deps.budget.report(source.type, { rateLimitedUntil: until }).catch((e: unknown) => log.warn({ err: e }, 'could not share the rate limit with the cluster'));
    }
    return recordPollFailure(deps, source, err, startedAt, state.consecutiveFailures + 1);
  }
  if (deps.budget && result.rateLimit) {
    await deps.budget
      .report(source.type, { remaining: result.rateLimit.remaining, resetAt: result.rateLimit.resetAt })
      .catch((e: unknown) => log.warn({ err: e }, 'could not share the rate-limit budget with the cluster'));
  }
  return { result };
}

/** What a source's `poll` receives: its settings, saved cursor, the environment, a deadline. */
function pollContext(deps: PollDeps, source: SourceConfig, state: StoredCursor): SourceContext<Record<string, unknown>> {
  const timeout = AbortSignal.timeout(deps.pollTimeoutMs ?? 120_000);
  return {
    key: source.key,
    brand: source.brand,
    config: source.settings,
    cursor: { etag: state.etag, lastModified: state.lastModified, cursor: state.cursor },
    env: deps.config.env,
    // Plugins name the source in each line themselves; a child logger would repeat the key.
    log: deps.log,
    signal: deps.signal ? AbortSignal.any([deps.signal, timeout]) : timeout,
    now: deps.now,
  };
}

interface PollTimes {
  startedAt: Date;
  finishedAt: Date;
}

/** The new cursor, budget and next poll, and the poll log line, in one transaction. */
async function recordPollSuccess(deps: PollDeps, source: SourceConfig, result: PollResult, ingest: IngestResult, times: PollTimes & { nextPollAt: Date }): Promise<void> {
  const gap = result.gaps?.length ? result.gaps.join('; ') : null;
  await deps.store.transaction(async (tx) => {
    await tx.sources.recordSuccess(source.key, {
      at: times.finishedAt.toISOString(),
      cursor: result.cursor,
      rateLimit: result.rateLimit,
      nextPollAt: times.nextPollAt.toISOString(),
      gap,
    });
    await tx.sources.logPoll({
      sourceKey: source.key,
      startedAt: times.startedAt.toISOString(),
      durationMs: times.finishedAt.getTime() - times.startedAt.getTime(),
      outcome: result.notModified ? 'not_modified' : 'ok',
      fetched: ingest.fetched,
      stored: ingest.stored,
      gap,
    });
  });
}

/** Metrics and the log lines of a successful poll (a coverage gap is a warning; a first poll says what it kept quiet). */
async function reportPoll(deps: PollDeps, source: SourceConfig, result: PollResult, ingest: IngestResult, times: PollTimes & { first: boolean }): Promise<FirstPoll | undefined> {
  const outcome = result.notModified ? 'not_modified' : 'ok';
  observePoll({ source: source.key, type: source.type, brand: source.brand, outcome, durationMs: times.finishedAt.getTime() - times.startedAt.getTime(), stored: ingest.stored });
  const sourceLog = deps.log.child({ source: source.key });
  if (result.gaps?.length) sourceLog.warn({ gaps: result.gaps }, 'coverage gap: some mentions may be missing');
  const firstPoll = times.first && ingest.backfill > 0 ? await noteFirstPoll(deps, source, ingest.backfill, times.finishedAt) : undefined;
  sourceLog.info(
    {
      fetched: ingest.fetched,
      matched: ingest.matched,
      stored: ingest.stored,
      duplicates: ingest.duplicates,
      alertable: ingest.alertable,
      notModified: Boolean(result.notModified),
      first: times.first,
    },
    'poll ok',
  );
  return firstPoll;
}

/**
 * Adding a source never floods a channel with history, by design; but silence must not look like
 * a broken rule, so the first poll says what it stored without alerts and how to change that.
 */
async function noteFirstPoll(deps: PollDeps, source: SourceConfig, stored: number, at: Date): Promise<FirstPoll> {
  const note: FirstPoll = {
    at: at.toISOString(),
    storedWithoutAlerts: stored,
    alertBackfill: source.alertBackfillMs > 0 ? formatDuration(source.alertBackfillMs) : '0',
    file: source.file,
  };
  await deps.store.meta.set(firstPollMetaKey(source.key), JSON.stringify(note));
  deps.log.info(
    { source: source.key, stored, alertBackfill: note.alertBackfill },
    `first poll: ${stored} stored without alerts (alert_backfill ${note.alertBackfill}); to alert on recent mentions when a source is added, set alert_backfill (e.g. 1d) on it in ${source.file}`,
  );
  return note;
}

/**
 * The prepared forms of the items not stored yet, aligned with `items` (known ones are left
 * out: most of a feed is old news after its first poll). ingestItems checks again, and prepares
 * inline whatever has no prepared form, so a slow or failed worker changes nothing but speed.
 */
async function prepareNew(deps: PollDeps, prepare: PrepareAhead, source: SourceConfig, items: readonly FetchedItem[]): Promise<(PreparedItem | null)[] | undefined> {
  const fresh: number[] = [];
  const known = await deps.store.mentions.knownSourceIds(
    source.brand,
    source.type,
    items.map((item) => item.sourceId),
  );
  items.forEach((item, i) => {
    if (!known.has(item.sourceId)) fresh.push(i);
  });
  if (fresh.length === 0) return undefined;
  const done = await prepare(
    source.brand,
    fresh.map((i) => items[i]!),
  );
  if (!done) return undefined;
  const aligned = new Array<PreparedItem | null>(items.length).fill(null);
  fresh.forEach((i, k) => {
    aligned[i] = done[k] ?? null;
  });
  return aligned;
}

async function recordPollFailure(deps: PollDeps, source: SourceConfig, err: unknown, startedAt: Date, failures: number): Promise<PollOutcome> {
  const { store, log } = deps;
  const at = deps.now();
  const stopping = deps.signal?.aborted ?? false;
  const kind = err instanceof SourceError ? err.kind : stopping ? 'aborted' : 'internal';
  let message = err instanceof SourceError ? err.message : `${source.key}: ${(err as Error)?.message ?? String(err)}`;
  if (!(err instanceof SourceError) && (err as Error)?.name === 'TimeoutError') message = `${source.key}: poll timed out`;
  let delay = backoffMs(source.everyMs, failures);
  if (err instanceof SourceError && err.retryAfterMs !== undefined) delay = Math.max(delay, err.retryAfterMs);
  let paused: string | null = null;
  if (kind === 'auth' || kind === 'config') {
    delay = Math.max(delay, AUTH_PAUSE_MS);
    paused = `${message} (paused; retried in ${formatDuration(delay)} or when the config or .env changes)`;
  }
  const nextPollAt = new Date(at.getTime() + delay);
  await store.transaction(async (tx) => {
    await tx.sources.recordFailure(source.key, { at: at.toISOString(), error: message, kind, nextPollAt: nextPollAt.toISOString(), pausedReason: paused });
    await tx.sources.logPoll({
      sourceKey: source.key,
      startedAt: startedAt.toISOString(),
      durationMs: at.getTime() - startedAt.getTime(),
      outcome: 'error',
      fetched: 0,
      stored: 0,
      error: message,
      errorKind: kind,
    });
  });
  observePoll({ source: source.key, type: source.type, brand: source.brand, outcome: 'error', kind, durationMs: at.getTime() - startedAt.getTime(), stored: 0 });
  const level = kind === 'internal' ? 'error' : 'warn';
  log[level](
    { source: source.key, kind, failures, retryIn: formatDuration(delay), ...(kind === 'internal' ? { err } : {}) },
    `poll failed: ${message}`,
  );
  return { status: 'error', sourceKey: source.key, error: message, kind, nextPollAt };
}
