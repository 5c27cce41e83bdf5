/**
 * Opens the store a command works on: SQLite by default (one file, no server), PostgreSQL when
 * a database URL is given (EARSHOT_DATABASE_URL / --database-url; see ../../README.md,
 * "Running several nodes").
 */
import type { OpenStoreOptions, Store } from './types.js';
import type { PostgresStore } from './pg/store.js';
import { openSqliteStore, type SqliteStore } from './sqlite/store.js';
import type { TriageStore } from './triage-types.js';

export type * from './types.js';
export { BackupIntegrityError, DaemonLockedError, DatabaseVersionError } from './errors.js';

/**
 * The triage store (statuses, history, tags) of an open store: one per store, so the UI, the API
 * and Slack share its change listeners.
 */
export async function triageStoreOf(store: Store): Promise<TriageStore> {
  if (store.dialect === 'postgres') {
    const { pgTriageStore } = await import('./pg/triage.js');
    return pgTriageStore(store as PostgresStore);
  }
  return (store as SqliteStore).triage();
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.url) {
    // Loaded only when asked for: SQLite deployments never load pg.
    const { openPostgresStore } = await import('./pg/store.js');
    return openPostgresStore(options.url, options.onConnectionError ? { onIdleError: options.onConnectionError } : {});
  }
  if (!options.path) throw new Error('openStore: give a SQLite path or a database URL');
  return openSqliteStore(options.path, { readonly: options.readonly ?? false });
}
