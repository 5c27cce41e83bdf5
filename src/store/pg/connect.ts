/**
 * The PostgreSQL connection (EARSHOT_DATABASE_URL / --database-url): a pg pool whose values come
 * back in the shapes the SQLite store returns, migrated on open under an advisory lock.
 *
 * Value shapes (so one store contract holds on both backends):
 *   - bigint (ids, counts) -> number: ids stay far below 2^53; pg would return strings;
 *   - timestamptz -> ISO string with milliseconds, UTC (`2025-01-02T03:04:05.678Z`), as SQLite keeps;
 *   - numeric (avg, sum of doubles) -> number; jsonb -> parsed JSON (pg's default).
 * Each pool gets its own type table: nothing global is changed for other pg users in the process.
 *
 * Migrations: one transaction takes `pg_advisory_xact_lock`, reads `earshot_migrations` and
 * applies what is missing. Five nodes starting at once queue on the lock; the first migrates,
 * the others find nothing left to do. A database with a migration this earshot does not know was
 * written by a newer earshot and is refused.
 *
 * The URL's password is a secret: errors and logs show the URL with the password replaced.
 */
import { hostname } from 'node:os';
import pg from 'pg';
import { PG_MIGRATIONS } from './migrations.js';
import type { Migration } from '../migrations.js';
import { checkDatabaseUrl, redactUrl } from './url.js';

export { checkDatabaseUrl, PostgresUrlError, redactUrl } from './url.js';

/** Advisory lock key for migrations: ('e' 'a' 'r' 's') and 1. */
const MIGRATION_LOCK: readonly [number, number] = [0x65617273, 1];

const OID = { int8: 20, numeric: 1700, timestamptz: 1184, timestamp: 1114 } as const;

/** Where a deployment's URL comes from; migrate-db's target comes from `--to` instead. */
const URL_SETTING = 'EARSHOT_DATABASE_URL (or --database-url)';

export class PostgresConnectError extends Error {
  constructor(url: string, cause: unknown, setting = URL_SETTING) {
    super(
      `could not connect to PostgreSQL at ${redactUrl(url)}: ${describePgError(cause)}. ` +
        `Check ${setting}: host, port, user, password and database name.`,
    );
    this.name = 'PostgresConnectError';
  }
}

export class PostgresVersionError extends Error {
  constructor(url: string, unknown: string[]) {
    super(
      `${redactUrl(url)} has migrations this earshot does not know (${unknown.join(', ')}): ` +
        'it was written by a newer earshot. Upgrade earshot on every node, or point EARSHOT_DATABASE_URL at another database.',
    );
    this.name = 'PostgresVersionError';
  }
}

/** pg's message for an error, without anything that could carry the connection string. */
function describePgError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describePgError(err.errors[0]);
  const e = err as { code?: string; message?: string };
  const message = e?.message || String(err);
  return e?.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
}

/** A type table for one pool: bigint and numeric as numbers, timestamptz as ISO strings. */
function typeTable(): pg.CustomTypesConfig {
  const parseDate = pg.types.getTypeParser(OID.timestamptz) as (value: string) => Date;
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === OID.int8) return (value: string) => Number(value);
      if (oid === OID.numeric) return (value: string) => Number(value);
      if (oid === OID.timestamptz) return (value: string) => parseDate(value).toISOString();
      return pg.types.getTypeParser(oid, format);
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

export interface OpenPostgresOptions {
  /** Shown in pg_stat_activity; default `earshot`. */
  applicationName?: string;
  /** The option or variable the URL came from, named in connection errors; default EARSHOT_DATABASE_URL. */
  urlSetting?: string;
  /** Pool size; default 10. */
  max?: number;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** Called for errors of idle connections (the server restarted, the network dropped). */
  onIdleError?: (err: Error) => void;
}

export interface PgDatabase {
  readonly pool: pg.Pool;
  /** The URL with the password hidden, for messages. */
  readonly displayUrl: string;
  /** Names of the migrations this open applied (empty when another node had done it). */
  readonly applied: readonly string[];
  close(): Promise<void>;
}

/** Connects, checks the server answers and migrates. Throws PostgresConnectError naming the redacted URL. */
export async function openPostgres(url: string, options: OpenPostgresOptions = {}): Promise<PgDatabase> {
  checkDatabaseUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    application_name: options.applicationName ?? 'earshot',
    max: options.max ?? 10,
    types: typeTable(),
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client's error (server restart, dropped network) is emitted on the pool; unhandled,
  // it would end the process. The next query reconnects.
  pool.on('error', (err) => options.onIdleError?.(err));
  let applied: string[] = [];
  try {
    const client = await pool.connect().catch((err: unknown) => {
      throw new PostgresConnectError(url, err, options.urlSetting);
    });
    // Checked out, the client has no pool listener: a server stopping mid-migration must reject
    // the open, not end the process with an unhandled 'error' (see withClient in sql.ts).
    let broken = false;
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      if (options.migrate !== false) applied = await migrate(client, url, PG_MIGRATIONS);
    } finally {
      client.removeListener('error', onError);
      client.release(broken ? true : undefined);
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  return {
    pool,
    displayUrl: redactUrl(url),
    applied,
    close: () => pool.end(),
  };
}

/** Applies missing migrations in one transaction under the migration lock; returns their names. */
export async function migrate(client: pg.ClientBase, url: string, migrations: readonly Migration[] = PG_MIGRATIONS): Promise<string[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS earshot_migrations (
      name text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now(),
      applied_by text NOT NULL
    )`);
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM earshot_migrations')).rows.map((r) => r.name));
    const known = new Set(migrations.map((m) => m.name));
    const unknown = [...done].filter((name) => !known.has(name));
    if (unknown.length > 0) throw new PostgresVersionError(url, unknown.sort());
    const applied: string[] = [];
    const by = `${hostname()}:${process.pid}`;
    for (const migration of migrations) {
      if (done.has(migration.name)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO earshot_migrations (name, applied_by) VALUES ($1, $2)', [migration.name, by]);
      applied.push(migration.name);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
