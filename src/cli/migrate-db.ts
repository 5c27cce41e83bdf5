/**
 * `earshot migrate-db --to postgres://USER:PASS@HOST:PORT/DB`: moves a SQLite deployment to
 * PostgreSQL (README, "Running several nodes"). The target database must be empty; it is migrated
 * to earshot's schema, every table is copied in one transaction from one consistent SQLite
 * snapshot (safe while `earshot run` still writes; stop it first to copy its very latest state),
 * and the row counts of every table are compared. Then set EARSHOT_DATABASE_URL on every node.
 */
import { existsSync } from 'node:fs';
import { checkDatabaseUrl, openPostgres, PostgresConnectError, PostgresUrlError, PostgresVersionError, redactUrl } from '../store/pg/connect.js';
import { copySqliteToPostgres, CopyError } from '../store/pg/copy.js';
import { registerUrlSecret } from '../store/pg/url.js';
import { openDatabase } from '../store/sqlite/db.js';
import { plural } from '../core/text.js';
import { UserError, type Context } from './context.js';

export interface MigrateDbOptions {
  to?: string;
}

export async function migrateDbCommand(ctx: Context, options: MigrateDbOptions): Promise<number> {
  const url = options.to;
  if (!url) throw new UserError('--to: give the PostgreSQL database to copy into, e.g. --to postgres://earshot:PASSWORD@db:5432/earshot');
  registerUrlSecret(url);
  try {
    checkDatabaseUrl(url, '--to');
  } catch (err) {
    if (err instanceof PostgresUrlError) throw new UserError(err.message);
    throw err;
  }
  if (!existsSync(ctx.dbPath)) throw new UserError(`no SQLite database at ${ctx.dbPath} to copy: pass --db FILE or --config-dir DIR`);

  const sqlite = openDatabase(ctx.dbPath, { readonly: true });
  let target;
  try {
    target = await openPostgres(url, { applicationName: 'earshot migrate-db', urlSetting: '--to' });
  } catch (err) {
    sqlite.close();
    if (err instanceof PostgresConnectError || err instanceof PostgresVersionError) throw new UserError(err.message);
    throw err;
  }
  try {
    ctx.io.err(`copying ${ctx.dbPath} into ${redactUrl(url)} ...`);
    let shown = '';
    const report = await copySqliteToPostgres(sqlite, target, {
      onProgress: (table, done, total) => {
        if (done !== total || table === shown) return;
        shown = table;
        ctx.io.err(`  ${table}: ${plural(total, 'row')}`);
      },
    });
    const width = Math.max(...report.tables.map((t) => t.table.length));
    ctx.io.out(`${'table'.padEnd(width)}  ${'sqlite'.padStart(9)}  ${'postgres'.padStart(9)}`);
    for (const t of report.tables) ctx.io.out(`${t.table.padEnd(width)}  ${String(t.sqlite).padStart(9)}  ${String(t.postgres).padStart(9)}`);
    ctx.io.out(
      `copied ${report.rows} rows in ${(report.durationMs / 1000).toFixed(1)} s; every table's count matches. ` +
        'Set EARSHOT_DATABASE_URL to this database on every node, then start them.',
    );
    return 0;
  } catch (err) {
    if (err instanceof CopyError) throw new UserError(err.message);
    throw err;
  } finally {
    sqlite.close();
    await target.close();
  }
}
