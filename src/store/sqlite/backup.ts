/**
 * A consistent copy of the SQLite database through its online backup API, safe while
 * `earshot run` writes to it.
 *
 * The copy goes page by page. When the daemon writes in between, SQLite restarts the copy so
 * that it stays consistent; after a few restarts the rest is copied in one step, which holds a
 * read snapshot for that moment only (in WAL mode a reader never blocks the daemon). The copy is
 * written to FILE.tmp-PID, checked (integrity_check, schema version), and only then renamed to
 * FILE: a failed backup never leaves a half-written FILE.
 */
import { closeSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { BackupIntegrityError } from '../errors.js';
import type { BackupCheck, BackupOptions } from '../types.js';
import { openDatabase, schemaVersion, sqliteModule, type Db } from './db.js';

/** Restarts tolerated before the remainder is copied in one step. */
const MAX_RESTARTS = 3;
/** Copy everything left in one step. */
const ALL_PAGES = 0x7fffffff;

/** Opens a backup read-only and checks it: the integrity check must say ok. */
export function verifyBackup(path: string): BackupCheck {
  const SQLite = sqliteModule();
  const copy = new SQLite(path, { readonly: true, fileMustExist: true });
  try {
    const integrity = (copy.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ');
    const version = schemaVersion(copy);
    const mentions = (copy.prepare('SELECT COUNT(*) AS n FROM mentions').get() as { n: number }).n;
    return { bytes: statSync(path).size, schemaVersion: version, mentions, integrity };
  } finally {
    copy.close();
  }
}

/** Copies the database at `path` (or the open `db`) to `target`; throws BackupIntegrityError or the I/O error. */
export async function backupDatabase(source: Db | string, target: string, options: BackupOptions = {}): Promise<BackupCheck> {
  const db = typeof source === 'string' ? openDatabase(source, { readonly: true }) : source;
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    // Created owner-only before SQLite writes to it: the copy holds everything earshot has seen.
    closeSync(openSync(tmp, 'w', 0o600));
    let restarts = 0;
    let lastRemaining = Infinity;
    await db.backup(tmp, {
      progress: ({ totalPages, remainingPages }) => {
        if (remainingPages > lastRemaining) restarts++;
        lastRemaining = remainingPages;
        options.onProgress?.(totalPages - remainingPages, totalPages);
        if (restarts >= MAX_RESTARTS) return ALL_PAGES;
        return Math.max(100, Math.ceil(totalPages / 100));
      },
    });
    const check = verifyBackup(tmp);
    if (check.integrity !== 'ok') throw new BackupIntegrityError(check.integrity);
    renameSync(tmp, target);
    return check;
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    if (typeof source === 'string') db.close();
  }
}
