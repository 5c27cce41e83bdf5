/**
 * `earshot backup FILE`: a consistent copy of the database, safe while `earshot run` writes to
 * it, showing progress on a terminal. How the copy is made and checked: src/store/sqlite/backup.ts.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createProgress, type ProgressStream } from '../ops/progress.js';
import { BackupIntegrityError, BackupUnsupportedError } from '../store/errors.js';
import { openStore, UserError, type Context } from './context.js';

export interface BackupOptions {
  force?: boolean;
  /** For tests: where progress goes (default stderr, only on a terminal). */
  progressStream?: ProgressStream;
}

export async function backupCommand(ctx: Context, file: string, options: BackupOptions): Promise<number> {
  const target = resolve(file);
  // On PostgreSQL the store itself says to use pg_dump: no point judging FILE first.
  if (!ctx.databaseUrl) {
    if (target === resolve(ctx.dbPath)) throw new UserError(`${file} is the database itself: give another file`);
    if (!existsSync(dirname(target))) throw new UserError(`${file}: the directory ${dirname(target)} does not exist`);
    if (existsSync(target) && !options.force) throw new UserError(`${file} already exists: not overwritten (use --force)`);
  }

  const store = await openStore(ctx, { readonly: true });
  const progress = createProgress('backup', { unit: 'pages', ...(options.progressStream ? { stream: options.progressStream } : {}) });
  try {
    const check = await store.backup(target, { onProgress: (done, total) => progress.update(done, total) });
    progress.done(`${check.mentions} mentions copied`);
    const mb = (check.bytes / 1024 / 1024).toFixed(1);
    ctx.io.out(`backed up ${ctx.dbPath} to ${target}: ${mb} MB, schema v${check.schemaVersion}, ${check.mentions} mentions, integrity ok`);
    return 0;
  } catch (err) {
    progress.done();
    if (err instanceof BackupIntegrityError) throw new UserError(`${err.message}; ${file} was not written: try again`);
    if (err instanceof BackupUnsupportedError) throw new UserError(err.message);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC' || e.code === 'EACCES' || e.code === 'EROFS' || /SQLITE_(FULL|CANTOPEN|READONLY|IOERR)/.test(e.code ?? '')) {
      throw new UserError(`cannot write ${file}: ${e.message}`);
    }
    throw err;
  } finally {
    await store.close();
  }
}
