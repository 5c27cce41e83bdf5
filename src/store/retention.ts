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
import { setMeta, stmt, type Db } from './db.js';

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

/** Ids of up to `limit` mentions older than the horizon that no pending delivery still needs. */
function doomedMentions(db: Db, horizon: string, limit: number): number[] {
  return stmt<[string, number], { id: number }>(
    db,
    `SELECT m.id FROM mentions m WHERE m.published_at < ?
       AND NOT EXISTS (
         SELECT 1 FROM alert_mentions am JOIN deliveries d ON d.alert_id = am.alert_id
         WHERE am.mention_id = m.id AND d.status IN ('pending', 'held'))
     ORDER BY m.published_at LIMIT ?`,
  )
    .all(horizon, limit)
    .map((r) => r.id);
}

function deleteMentions(db: Db, ids: number[]): number {
  const list = JSON.stringify(ids);
  return db
    .transaction(() => {
      // duplicate_of has no ON DELETE action: unlink newer duplicates that stay.
      stmt(
        db,
        `UPDATE mentions SET duplicate_of = NULL
         WHERE duplicate_of IN (SELECT value FROM json_each(@ids)) AND id NOT IN (SELECT value FROM json_each(@ids))`,
      ).run({ ids: list });
      return stmt(db, 'DELETE FROM mentions WHERE id IN (SELECT value FROM json_each(?))').run(list).changes;
    })
    .immediate();
}

function deleteAlerts(db: Db, horizon: string, limit: number): number {
  return db
    .transaction(
      () =>
        stmt(
          db,
          `DELETE FROM alerts WHERE id IN (
             SELECT a.id FROM alerts a WHERE a.created_at < ?
               AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = a.id AND d.status IN ('pending', 'held'))
             ORDER BY a.created_at LIMIT ?)`,
        ).run(horizon, limit).changes,
    )
    .immediate();
}

function deletePollLog(db: Db, before: string, limit: number): number {
  return stmt(db, 'DELETE FROM poll_log WHERE id IN (SELECT id FROM poll_log WHERE started_at < ? LIMIT ?)').run(before, limit).changes;
}

/** One retention run. Async only to yield between batches; safe to call while the daemon runs. */
export async function pruneOnce(db: Db, options: PruneOptions): Promise<PruneResult> {
  const started = Date.now();
  const batch = options.batchSize ?? 2000;
  const horizon = new Date(options.now.getTime() - options.retentionMs).toISOString();
  const pollLogBefore = new Date(options.now.getTime() - Math.min(options.retentionMs, POLL_LOG_MAX_MS)).toISOString();
  // Record the horizon first: from now on nothing older is stored, so the deletes below converge.
  setMeta(db, 'retention.horizon', horizon);
  const result: PruneResult = { horizon, mentions: 0, alerts: 0, pollLog: 0, durationMs: 0 };

  for (;;) {
    const n = deleteAlerts(db, horizon, batch);
    result.alerts += n;
    if (n < batch) break;
    await yieldToLoop();
  }
  for (;;) {
    const ids = doomedMentions(db, horizon, batch);
    if (ids.length === 0) break;
    result.mentions += deleteMentions(db, ids);
    if (ids.length < batch) break;
    await yieldToLoop();
  }
  for (;;) {
    const n = deletePollLog(db, pollLogBefore, batch);
    result.pollLog += n;
    if (n < batch) break;
    await yieldToLoop();
  }
  if (result.mentions > 0) {
    // Merges the full-text index's segments, dropping the deleted entries' space.
    db.prepare("INSERT INTO mentions_fts (mentions_fts) VALUES ('optimize')").run();
  }
  if (result.mentions + result.alerts + result.pollLog > 0) {
    // Hands the write-ahead log's space back; a busy reader just makes this a no-op.
    db.pragma('wal_checkpoint(TRUNCATE)');
  }
  result.durationMs = Date.now() - started;
  setMeta(db, 'retention.last_run_at', options.now.toISOString());
  setMeta(db, 'retention.last_result', JSON.stringify(result));
  return result;
}

/** Forgets the horizon (retention turned off): older mentions may be stored again, e.g. by import. */
export function clearRetentionHorizon(db: Db): void {
  setMeta(db, 'retention.horizon', null);
}

export interface RetentionScheduleOptions {
  db: Db;
  log: Logger;
  /** null: retention is off (nothing is pruned; the horizon is cleared). */
  retentionMs: number | null;
  now?: () => Date;
  /** First run after this delay; default 60 s (let the daemon's first polls go first). */
  firstDelayMs?: number;
  /** Default 24 h. */
  intervalMs?: number;
  /** Called after each run (metrics, tests). */
  onRun?: (result: PruneResult) => void;
}

export interface RetentionSchedule {
  /** Runs now (used by the schedule; tests call it directly). */
  runNow(): Promise<PruneResult | null>;
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
    clearRetentionHorizon(options.db);
    options.log.info('retention is off: mentions and alerts are kept forever');
    return { runNow: async () => null, stop: async () => undefined };
  }
  const retentionMs = options.retentionMs;

  const runNow = (): Promise<PruneResult | null> => {
    if (running) return running;
    running = pruneOnce(options.db, { retentionMs, now: now() })
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
  schedule(options.firstDelayMs ?? 60_000);

  return {
    runNow,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (running) await running;
    },
  };
}
