/** Errors any store raises, whatever the backend. */

export class DatabaseVersionError extends Error {
  constructor(location: string, found: number, known: number) {
    super(
      `${location} has schema version ${found}, but this earshot knows only up to ${known}: ` +
        'it was written by a newer earshot. Upgrade earshot, or point --db at another file.',
    );
    this.name = 'DatabaseVersionError';
  }
}

/** Another `earshot run` owns the (SQLite) database. */
export class DaemonLockedError extends Error {
  /** Who holds the lock, when it said so (null: it is still starting). */
  readonly owner: { pid: number; host: string; since: string } | null;

  constructor(dbPath: string, owner: { pid: number; host: string; since: string } | null) {
    const who = owner ? `pid ${owner.pid} on ${owner.host}, since ${owner.since.slice(0, 19).replace('T', ' ')} UTC` : 'a process that is still starting';
    super(
      `another earshot run is already running on ${dbPath} (${who}): one daemon owns a SQLite database. ` +
        'Stop that one first, or give this one its own database with --db.',
    );
    this.name = 'DaemonLockedError';
    this.owner = owner;
  }
}

/** A backup copy failed its integrity check: nothing was written to the target. */
export class BackupIntegrityError extends Error {
  constructor(readonly integrity: string) {
    super(`the copy failed its integrity check (${integrity})`);
    this.name = 'BackupIntegrityError';
  }
}

/** The backend has no `earshot backup` (PostgreSQL: pg_dump does it); the message says what to use. */
export class BackupUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupUnsupportedError';
  }
}

/**
 * Whether an error says the database connection broke (PostgreSQL restarting or unreachable, the
 * network dropped) rather than that the statement was wrong: worth trying again once the pool
 * has reconnected. SQLite has no connection to lose; its errors never match.
 */
export function isConnectionLoss(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    // 57P01-57P03: admin/crash shutdown, cannot connect now; class 08: connection exceptions.
    if (/^57P0[123]$/.test(code) || code.startsWith('08')) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) return true;
  }
  return /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect/i.test(err.message);
}
