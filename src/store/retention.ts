/**
 * Retention: keeps the database bounded on a server that runs for months.
 *
 * One run (`pruneOnce`) with a horizon of now - retention:
 *   - mentions published before the horizon are deleted (their full-text entries, waiting rule
 *     state and alert links go with them), except those an alert still waiting for delivery
 *     (pending, or held for quiet hours) shows; a newer duplicate of a deleted mention keeps
 *     its `duplicate` state but loses the link;
 *   - alerts created before the horizon are deleted with their deliveries, unless a delivery is
 *     still pending or held;
 *   - the poll log keeps at most 30 days (it grows with every poll, and status and digests
 *     read only the last day);
 *   - the horizon is recorded in `meta`: a trigger (migration 003-ops) refuses to store a
 *     mention published before it again, so a feed that still lists a pruned item can never
 *     alert on it a second time.
 * Deletion goes in small batches, each its own transaction, yielding between them, so the
 * daemon keeps polling and delivering while a large backlog is pruned. Freed pages are reused
 * by SQLite, so the file stops growing once retention is reached (it does not shrink; VACUUM
 * offline if you need the space back).
 *
 * The schedule: `startRetention` runs once shortly after the daemon starts, then every 24 h.
 * `EARSHOT_RETENTION` sets the period (default 90d, at least 1d; `off` keeps everything).
 */
import { parseDuration } from '../core/duration.js';
import type { Logger } from '../core/log.js';
import type { Store } from './types.js';

export const DEFAULT_RETENTION = '90d';
const MIN_RETENTION_MS = 86_400_000;
const POLL_LOG_MAX_MS = 30 * 86_400_000;
const DAY_MS = 86_400_000;

export class RetentionSettingError extends Error {
  constructor(value: string) {
    super(`EARSHOT_RETENTION=${value}: expected a duration of at least 1d like 90d, 26w or 365d, or "off" to keep everything`);
    this.name = 'RetentionSettingError';
  }
}

/** Parses EARSHOT_RETENTION: milliseconds, or null for `off`. Throws RetentionSettingError. */
export function parseRetention(value: string | undefined): number | null {
  const text = (value ?? '').trim() || DEFAULT_RETENTION;
  if (/^(off|never|none)$/i.test(text)) return null;
  const ms = parseDuration(text);
  if (ms === null || ms < MIN_RETENTION_MS) throw new RetentionSettingError(text);
  return ms;
}

export interface PruneResult {
  horizon: string;
  mentions: number;
  alerts: number;
  pollLog: number;
  durationMs: number;
}

export interface PruneOptions {
  retentionMs: number;
  now: Date;
  /** Rows per transaction; default 2000. */
  batchSize?: number;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One retention run. Yields between batches; safe to call while the daemon runs. */
export async function pruneOnce(store: Store, options: PruneOptions): Promise<PruneResult> {
  const started = Date.now();
  const batch = options.batchSize ?? 2000;
  const horizon = new Date(options.now.getTime() - options.retentionMs).toISOString();
  const pollLogBefore = new Date(options.now.getTime() - Math.min(options.retentionMs, POLL_LOG_MAX_MS)).toISOString();
  // Record the horizon first: from now on nothing older is stored, so the deletes below converge.
  await store.retention.setHorizon(horizon);
  const result: PruneResult = { horizon, mentions: 0, alerts: 0, pollLog: 0, durationMs: 0 };

  result.alerts = await inBatches(batch, () => store.retention.pruneAlerts(horizon, batch));
  result.mentions = await inBatches(batch, () => store.retention.pruneMentions(horizon, batch));
  result.pollLog = await inBatches(batch, () => store.retention.prunePollLog(pollLogBefore, batch));
  if (result.mentions + result.alerts + result.pollLog > 0) await store.retention.compact({ fullText: result.mentions > 0 });
  result.durationMs = Date.now() - started;
  await store.meta.set('retention.last_run_at', options.now.toISOString());
  await store.meta.set('retention.last_result', JSON.stringify(result));
  return result;
}

/** Runs one batch after another until a batch deletes less than a full one; returns the total. */
async function inBatches(batch: number, prune: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await prune();
    total += n;
    if (n < batch) return total;
    await yieldToLoop();
  }
}

/** Forgets the horizon (retention turned off): older mentions may be stored again, e.g. by import. */
export function clearRetentionHorizon(store: Store): Promise<void> {
  return store.retention.setHorizon(null);
}

export interface RetentionScheduleOptions {
  store: Store;
  log: Logger;
  /** null: retention is off (nothing is pruned; the horizon is cleared). */
  retentionMs: number | null;
  now?: () => Date;
  /** First run after this delay; default 60 s (let the daemon's first polls go first). */
  firstDelayMs?: number;
  /** Default 24 h. */
  intervalMs?: number;
  /**
   * No timer: the caller runs it (`runDueNow`). Nodes sharing PostgreSQL prune from their
   * once-a-minute cluster job, so one node prunes per day, not each of them.
   */
  manual?: boolean;
  /** Called after each run (metrics, tests). */
  onRun?: (result: PruneResult) => void;
}

export interface RetentionSchedule {
  /** Runs now (used by the schedule; tests call it directly). */
  runNow(): Promise<PruneResult | null>;
  /** Runs when the last run (of any node) is an interval ago or more; else does nothing. */
  runDueNow(): Promise<PruneResult | null>;
  stop(): Promise<void>;
}

/** Prunes shortly after start, then daily. A failed run is logged and retried at the next one. */
export function startRetention(options: RetentionScheduleOptions): RetentionSchedule {
  const now = options.now ?? (() => new Date());
  const interval = options.intervalMs ?? DAY_MS;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<PruneResult | null> | null = null;
  let stopped = false;

  if (options.retentionMs === null) {
    const cleared = clearRetentionHorizon(options.store).then(
      () => options.log.info('retention is off: mentions and alerts are kept forever'),
      (err: unknown) => options.log.error({ err }, 'retention is off, but its horizon could not be cleared'),
    );
    return { runNow: async () => null, runDueNow: async () => null, stop: () => cleared };
  }
  const retentionMs = options.retentionMs;

  const runNow = (): Promise<PruneResult | null> => {
    if (running) return running;
    running = pruneOnce(options.store, { retentionMs, now: now() })
      .then((result) => {
        options.log.info(
          { horizon: result.horizon, mentions: result.mentions, alerts: result.alerts, pollLog: result.pollLog, ms: result.durationMs },
          'retention: pruned old data',
        );
        options.onRun?.(result);
        return result;
      })
      .catch((err: unknown) => {
        options.log.error({ err }, 'retention run failed; retried at the next run');
        return null;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };

  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      void runNow().finally(() => schedule(interval));
    }, delay);
    timer.unref();
  };
  if (!options.manual) schedule(options.firstDelayMs ?? 60_000);

  return {
    runNow,
    async runDueNow() {
      const last = await options.store.meta.get('retention.last_run_at');
      if (last !== null && now().getTime() - Date.parse(last) < interval) return null;
      return runNow();
    },
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (running) await running;
    },
  };
}
