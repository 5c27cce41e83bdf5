/**
 * `earshot backup FILE`: a consistent copy of the database through SQLite's online backup API,
 * safe while `earshot run` writes to it.
 *
 * The copy goes page by page (showing progress on a terminal). When the daemon writes in
 * between, SQLite restarts the copy so that it stays consistent; after a few restarts the rest
 * is copied in one step, which holds a read snapshot for that moment only (in WAL mode a reader
 * never blocks the daemon). The copy is written to FILE.tmp-PID, checked (integrity_check, schema
 * version), and only then renamed to FILE: a failed backup never leaves a half-written FILE.
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createProgress, type ProgressStream } from '../ops/progress.js';
import { openDb, UserError, type Context } from './context.js';

export interface BackupOptions {
  force?: boolean;
  /** For tests: where progress goes (default stderr, only on a terminal). */
  progressStream?: ProgressStream;
}

export interface BackupCheck {
  bytes: number;
  schemaVersion: number;
  mentions: number;
  integrity: string;
}

/** Restarts tolerated before the remainder is copied in one step. */
const MAX_RESTARTS = 3;
/** Copy everything left in one step. */
const ALL_PAGES = 0x7fffffff;

/** Opens a backup read-only and checks it: the integrity check must say ok. */
export function verifyBackup(path: string): BackupCheck {
  const copy = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const integrity = (copy.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ');
    const schemaVersion = copy.pragma('user_version', { simple: true }) as number;
    const mentions = (copy.prepare('SELECT COUNT(*) AS n FROM mentions').get() as { n: number }).n;
    return { bytes: statSync(path).size, schemaVersion, mentions, integrity };
  } finally {
    copy.close();
  }
}

export async function backupCommand(ctx: Context, file: string, options: BackupOptions): Promise<number> {
  const target = resolve(file);
  if (target === resolve(ctx.dbPath)) throw new UserError(`${file} is the database itself: give another file`);
  if (!existsSync(dirname(target))) throw new UserError(`${file}: the directory ${dirname(target)} does not exist`);
  if (existsSync(target) && !options.force) throw new UserError(`${file} already exists: not overwritten (use --force)`);

  const db = openDb(ctx, { readonly: true });
  const tmp = `${target}.tmp-${process.pid}`;
  const progress = createProgress('backup', { unit: 'pages', ...(options.progressStream ? { stream: options.progressStream } : {}) });
  try {
    // Created owner-only before SQLite writes to it: the copy holds everything earshot has seen.
    closeSync(openSync(tmp, 'w', 0o600));
    let restarts = 0;
    let lastRemaining = Infinity;
    await db.backup(tmp, {
      progress: ({ totalPages, remainingPages }) => {
        if (remainingPages > lastRemaining) restarts++;
        lastRemaining = remainingPages;
        progress.update(totalPages - remainingPages, totalPages);
        if (restarts >= MAX_RESTARTS) return ALL_PAGES;
        return Math.max(100, Math.ceil(totalPages / 100));
      },
    });
    const check = verifyBackup(tmp);
    if (check.integrity !== 'ok') throw new UserError(`the copy failed its integrity check (${check.integrity}); ${file} was not written: try again`);
    renameSync(tmp, target);
    progress.done(`${check.mentions} mentions copied`);
    const mb = (check.bytes / 1024 / 1024).toFixed(1);
    ctx.io.out(`backed up ${ctx.dbPath} to ${target}: ${mb} MB, schema v${check.schemaVersion}, ${check.mentions} mentions, integrity ok`);
    return 0;
  } catch (err) {
    progress.done();
    rmSync(tmp, { force: true });
    if (err instanceof UserError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC' || e.code === 'EACCES' || e.code === 'EROFS' || /SQLITE_(FULL|CANTOPEN|READONLY|IOERR)/.test(e.code ?? '')) {
      throw new UserError(`cannot write ${file}: ${e.message}`);
    }
    throw err;
  } finally {
    db.close();
  }
}
