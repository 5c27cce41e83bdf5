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
import { lazy } from '../core/lazy.js';
import { getMeta, setMeta, type Db } from './db.js';

const sqlite = lazy<typeof Database>('better-sqlite3');

const OWNER_KEY = 'daemon.owner';

export interface DaemonOwner {
  pid: number;
  host: string;
  /** ISO time the daemon started. */
  since: string;
}

export class DaemonLockedError extends Error {
  /** Who holds the lock, when it said so (null: it is still starting). */
  readonly owner: DaemonOwner | null;

  constructor(dbPath: string, owner: DaemonOwner | null) {
    const who = owner ? `pid ${owner.pid} on ${owner.host}, since ${owner.since.slice(0, 19).replace('T', ' ')} UTC` : 'a process that is still starting';
    super(
      `another earshot run is already running on ${dbPath} (${who}): one daemon owns a SQLite database. ` +
        'Stop that one first, or give this one its own database with --db.',
    );
    this.name = 'DaemonLockedError';
    this.owner = owner;
  }
}

export interface DaemonLock {
  /** Ends the claim (the operating system also ends it if the process dies). */
  release(): void;
}

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

export interface DaemonState {
  /** A daemon holds the lock now. */
  running: boolean;
  /** The last daemon that claimed the database (the running one when `running`). */
  owner: DaemonOwner | null;
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
