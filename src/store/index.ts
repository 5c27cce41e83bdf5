/**
 * Opens the store a command works on: SQLite by default (one file, no server), PostgreSQL when
 * a database URL is given (EARSHOT_DATABASE_URL / --database-url; see ../../README.md,
 * "Running several nodes").
 */
import type { OpenStoreOptions, Store } from './types.js';
import { openSqliteStore } from './sqlite/store.js';

export type * from './types.js';
export { BackupIntegrityError, DatabaseVersionError } from './errors.js';

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.url) {
    // Loaded only when asked for: SQLite deployments never load pg.
    const { openPostgresStore } = await import('./pg/store.js');
    return openPostgresStore(options.url);
  }
  if (!options.path) throw new Error('openStore: give a SQLite path or a database URL');
  return openSqliteStore(options.path, { readonly: options.readonly ?? false });
}
