/**
 * The SQLite database: one file, WAL mode (readers never block the daemon's writer), foreign
 * keys on, a busy timeout so a concurrent CLI command waits instead of failing, migrations run
 * on open. Files are created owner-only (0600): they hold everything earshot has seen.
 */
import type Database from 'better-sqlite3';
import { lazy } from '../../core/lazy.js';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseVersionError } from '../errors.js';
import { MIGRATIONS } from '../migrations.js';

export { DatabaseVersionError };

export type Db = Database.Database;

/** The native SQLite binding loads when a database is opened (`earshot check` never opens one). */
const sqlite = lazy<typeof Database>('better-sqlite3');

/** The better-sqlite3 constructor, loaded on first use. */
export const sqliteModule = sqlite;

export interface OpenOptions {
  readonly?: boolean;
}

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const isNew = path !== ':memory:' && !existsSync(path);
  if (isNew && !options.readonly) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const SQLite = sqlite();
  const db = new SQLite(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  try {
    if (isNew) chmodSync(path, 0o600);
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    if (options.readonly && schemaVersion(db) < MIGRATIONS.length) {
      // A reader of an older database (status, digest, export right after an upgrade) would see
      // tables without today's columns: bring it up to date first, then read.
      db.close();
      openDatabase(path).close();
      return openDatabase(path, options);
    }
    migrate(db, path, options.readonly ?? false);
    return db;
  } catch (err) {
    if (db.open) db.close();
    throw err;
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db, path: string, readonly: boolean): void {
  const version = schemaVersion(db);
  if (version > MIGRATIONS.length) throw new DatabaseVersionError(path, version, MIGRATIONS.length);
  if (version >= MIGRATIONS.length || readonly) return;
  const apply = db.transaction(() => {
    for (let i = version; i < MIGRATIONS.length; i++) {
      db.exec(MIGRATIONS[i]!.sql);
      db.pragma(`user_version = ${i + 1}`);
    }
  });
  apply.immediate();
}

/** Prepared statements are cached per database and SQL text: preparing is not free on hot paths. */
const cache = new WeakMap<Db, Map<string, Database.Statement>>();
export function stmt<P extends unknown[] | {} = unknown[], R = unknown>(db: Db, sql: string): Database.Statement<P, R> {
  let map = cache.get(db);
  if (!map) {
    map = new Map();
    cache.set(db, map);
  }
  let statement = map.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    map.set(sql, statement);
  }
  return statement as unknown as Database.Statement<P, R>;
}

export function getMeta(db: Db, key: string): string | null {
  const row = stmt<[string], { value: string | null }>(db, 'SELECT value FROM meta WHERE key = ?').get(key);
  return row?.value ?? null;
}

export function setMeta(db: Db, key: string, value: string | null): void {
  stmt(db, 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
}
