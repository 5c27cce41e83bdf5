/**
 * What /healthz reports: healthy while the scheduler runs and the database is writable.
 *
 * Scheduler: the daemon's loop has started, is not stopping, and completed a pass recently (it
 * wakes at least every 30 s; no pass for 90 s means it is stuck).
 * Database: the file (and its write-ahead log) is still there and writable by this process
 * (permissions, immutable attribute, read-only file system), and a real write through the
 * daemon's own connection succeeds (a connection opened or switched read-only, disk full, a
 * lock held elsewhere for longer than the busy timeout).
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { formatDuration } from '../core/duration.js';
import type { Store } from '../store/types.js';

export interface SchedulerHealth {
  running: boolean;
  lastPassAt: Date | null;
  lastPassError: string | null;
}

export interface HealthSource {
  health(): SchedulerHealth;
}

export interface HealthReport {
  ok: boolean;
  /** What is wrong, one sentence each; empty when ok. */
  problems: string[];
  checks: { scheduler: 'ok' | 'failing'; database: 'ok' | 'failing' };
  lastPassAt: string | null;
  checkedAt: string;
}

/** No completed pass for this long means the loop is stuck. */
export const STALL_AFTER_MS = 90_000;

export interface HealthDeps {
  store: Store;
  scheduler: HealthSource;
  now: () => Date;
}

export function schedulerProblem(health: SchedulerHealth, now: Date): string | null {
  if (!health.running) return 'scheduler is not running (starting or stopping)';
  if (!health.lastPassAt) return 'scheduler has not completed a pass yet';
  const age = now.getTime() - health.lastPassAt.getTime();
  if (age > STALL_AFTER_MS) return `scheduler is stuck: last pass ${formatDuration(age)} ago`;
  if (health.lastPassError) return `scheduler's last pass failed: ${health.lastPassError}`;
  return null;
}

function fileProblem(path: string, what: string): string | null {
  try {
    accessSync(path, constants.W_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') return `${what} ${path} is gone (deleted or moved): restore it and restart earshot`;
    return `${what} ${path} is not writable (${code}): check its owner, permissions and attributes (lsattr) and that the file system is mounted read-write`;
  }
}

export async function databaseProblem(store: Store, now: Date): Promise<string | null> {
  const dbPath = store.location;
  if (store.dialect === 'sqlite' && dbPath !== ':memory:') {
    const main = fileProblem(dbPath, 'database');
    if (main) return main;
    const wal = `${dbPath}-wal`;
    if (existsSync(wal)) {
      const walProblem = fileProblem(wal, 'database write-ahead log');
      if (walProblem) return walProblem;
    }
  }
  try {
    await store.meta.set('health.checked_at', now.toISOString());
    return null;
  } catch (err) {
    return `database ${dbPath} is not writable: ${(err as Error).message}`;
  }
}

export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const now = deps.now();
  const state = deps.scheduler.health();
  const scheduler = schedulerProblem(state, now);
  const database = await databaseProblem(deps.store, now);
  const problems = [scheduler, database].filter((p): p is string => p !== null);
  return {
    ok: problems.length === 0,
    problems,
    checks: { scheduler: scheduler ? 'failing' : 'ok', database: database ? 'failing' : 'ok' },
    lastPassAt: state.lastPassAt?.toISOString() ?? null,
    checkedAt: now.toISOString(),
  };
}
