/**
 * One daemon per SQLite database. `earshot run` holds an exclusive SQLite lock on a small file
 * beside the database (`earshot.db.lock`) for as long as it runs. SQLite's locks are the
 * operating system's (POSIX advisory locks), released when the process ends however it ends, so
 * a daemon killed with SIGKILL or by a power cut never leaves a lock that blocks the next start.
 * Who holds it (pid, host, since) is written to the database's meta table, which others can read
 * while the lock file itself is locked.
 *
 * PostgreSQL mode runs many nodes on one database by design; this lock is SQLite's only.
 */
import type Database from 'better-sqlite3';
import { chmodSync, existsSync } from 'node:fs';
import { lazy } from '../../core/lazy.js';
import { DaemonLockedError } from '../errors.js';
import type { DaemonLock, DaemonOwner, DaemonState } from '../types.js';
import { getMeta, setMeta, type Db } from './db.js';

const sqlite = lazy<typeof Database>('better-sqlite3');

const OWNER_KEY = 'daemon.owner';

export function lockPathFor(dbPath: string): string {
  return `${dbPath}.lock`;
}

/**
 * Opens the lock file and takes its exclusive lock; null when another process holds it. Waits up
 * to `waitMs` for it (a `status` probing the lock holds it for a moment).
 */
function tryLock(dbPath: string, waitMs: number): Database.Database | null {
  const SQLite = sqlite();
  const path = lockPathFor(dbPath);
  const isNew = !existsSync(path);
  const handle = new SQLite(path);
  try {
    if (isNew) chmodSync(path, 0o600); // like the database beside it
    handle.pragma(`busy_timeout = ${waitMs}`);
    handle.pragma('journal_mode = OFF'); // nothing is ever written: no journal file beside it
    handle.pragma('locking_mode = EXCLUSIVE');
    handle.exec('BEGIN EXCLUSIVE');
    return handle;
  } catch (err) {
    handle.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return null;
    throw err;
  }
}

function readOwner(db: Db): DaemonOwner | null {
  const raw = getMeta(db, OWNER_KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as DaemonOwner;
  } catch {
    return null;
  }
}

/**
 * Claims the database for this daemon, or throws DaemonLockedError naming the one that runs.
 * `db` is the database at `dbPath`, open for writing.
 */
export function lockDaemon(db: Db, dbPath: string, owner: DaemonOwner): DaemonLock {
  if (dbPath === ':memory:') return { release: () => undefined };
  const handle = tryLock(dbPath, 500);
  if (!handle) throw new DaemonLockedError(dbPath, readOwner(db));
  setMeta(db, OWNER_KEY, JSON.stringify(owner));
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      handle.close();
    },
  };
}

/**
 * Whether a daemon runs on this database now (probes the lock and lets go at once), and who
 * claimed it last. `db` may be read-only.
 */
export function daemonState(db: Db, dbPath: string): DaemonState {
  if (dbPath === ':memory:') return { running: false, owner: null };
  let running = false;
  try {
    const handle = tryLock(dbPath, 0);
    running = handle === null;
    handle?.close();
  } catch {
    running = false; // the folder is read-only, for instance: no daemon could have locked it either
  }
  return { running, owner: readOwner(db) };
}
