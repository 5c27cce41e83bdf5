/**
 * `earshot migrate-db --to postgres://…`: copies a SQLite deployment into an empty PostgreSQL
 * database — mentions (with statuses, tags, history), alerts and their deliveries, rule state,
 * source cursors and poll log, digest runs, silences, sessions — then checks every table's row
 * count on both sides.
 *
 * Everything is copied in ONE transaction: a copy that fails half-way leaves the target empty,
 * ready for another try. Tables are copied in foreign-key order with their ids, so every link
 * (alert to mentions, duplicate to original, event to mention) stays as it was; identity
 * sequences then continue after the highest id. Each column is converted to its PostgreSQL type:
 * ISO text to timestamptz, JSON text to jsonb, 0/1 to boolean; a mention's search vector is
 * written from its title and text.
 *
 * The column lists come from the two live schemas (their intersection), so a table gains a
 * column in both migrations lists and this code copies it without change. A SQLite table with no
 * PostgreSQL counterpart stops the copy with its name (the schema comparison test keeps that
 * from shipping).
 */
import type Database from 'better-sqlite3';
import { searchDocument } from '../../analyze/query/tsquery.js';
import type { PgDatabase } from './connect.js';
import { withTransaction } from './sql.js';

/** Parents before children. */
const TABLE_ORDER = [
  'mentions',
  'source_state',
  'poll_log',
  'alerts',
  'alert_mentions',
  'deliveries',
  'rule_groups',
  'rule_pending',
  'rule_hits',
  'digest_runs',
  'silences',
  'mention_events',
  'mention_tags',
  'sentiment_corrections',
  'saved_views',
  'ui_sessions',
  'ui_preferences',
  // Last: the retention horizon in meta makes PostgreSQL refuse older mentions, and SQLite may
  // rightly keep some (an alert still waiting to be sent shows them).
  'meta',
];

/** SQLite's own bookkeeping and the FTS5 index (PostgreSQL keeps its search vector on the row). */
const SQLITE_ONLY = /^(sqlite_|mentions_fts)/;

const BATCH_ROWS = 500;

export interface TableCount {
  table: string;
  sqlite: number;
  postgres: number;
}

export interface CopyReport {
  tables: TableCount[];
  rows: number;
  durationMs: number;
}

export class CopyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyError';
  }
}

export interface CopyOptions {
  /** Called after each batch: table, rows copied so far, rows in the table. */
  onProgress?: (table: string, done: number, total: number) => void;
}

interface PgColumn {
  name: string;
  type: string;
}

async function pgColumns(client: import('pg').PoolClient): Promise<Map<string, PgColumn[]>> {
  const rows = (
    await client.query<{ table_name: string; column_name: string; data_type: string }>(
      `SELECT table_name, column_name, data_type FROM information_schema.columns
       WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
    )
  ).rows;
  const out = new Map<string, PgColumn[]>();
  for (const r of rows) {
    const list = out.get(r.table_name) ?? [];
    list.push({ name: r.column_name, type: r.data_type });
    out.set(r.table_name, list);
  }
  return out;
}

/** The SQL cast of a parameter for a PostgreSQL column type. */
function castFor(type: string): string {
  switch (type) {
    case 'jsonb':
      return '::jsonb';
    case 'timestamp with time zone':
      return '::timestamptz';
    case 'boolean':
      return '::boolean';
    case 'tsvector':
      return '::tsvector';
    case 'bigint':
      return '::bigint';
    case 'integer':
      return '::integer';
    case 'double precision':
      return '::double precision';
    default:
      return '';
  }
}

/** A SQLite value as the PostgreSQL column wants it. */
function convert(value: unknown, column: PgColumn, table: string): unknown {
  if (value === null || value === undefined) return null;
  if (column.type === 'boolean') return value === 1 || value === true || value === '1';
  if (column.type === 'timestamp with time zone' && typeof value === 'string') {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new CopyError(`${table}.${column.name}: "${value}" is not a time; fix or clear it in the SQLite file, then copy again`);
    return new Date(ms).toISOString();
  }
  if (column.type === 'jsonb' && typeof value === 'string') {
    try {
      JSON.parse(value);
    } catch {
      throw new CopyError(`${table}.${column.name}: ${JSON.stringify(value.slice(0, 60))} is not JSON; fix it in the SQLite file, then copy again`);
    }
    return value;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Copies every table of `sqlite` into the empty PostgreSQL database behind `pg`, verified by counts. */
export async function copySqliteToPostgres(sqlite: Database.Database, pg: PgDatabase, options: CopyOptions = {}): Promise<CopyReport> {
  const started = Date.now();
  // One read transaction: every table comes from the same snapshot, even while a daemon writes.
  const ownSnapshot = !sqlite.inTransaction;
  if (ownSnapshot) sqlite.exec('BEGIN');
  try {
    return await copyAll(sqlite, pg, options, started);
  } finally {
    if (ownSnapshot && sqlite.inTransaction) sqlite.exec('COMMIT');
  }
}

async function copyAll(sqlite: Database.Database, pg: PgDatabase, options: CopyOptions, started: number): Promise<CopyReport> {
  const sqliteTables = (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>)
    .map((r) => r.name)
    .filter((name) => !SQLITE_ONLY.test(name));
  return withTransaction(pg.pool, async (client) => {
    const columns = await pgColumns(client);
    const missing = sqliteTables.filter((t) => !columns.has(t));
    if (missing.length > 0) {
      throw new CopyError(`the PostgreSQL schema has no table for ${missing.join(', ')}: upgrade earshot so both schemas match, then copy again`);
    }
    const unordered = sqliteTables.filter((t) => !TABLE_ORDER.includes(t));
    const tables = [...TABLE_ORDER.filter((t) => sqliteTables.includes(t)), ...unordered];
    for (const table of tables) {
      const { rows } = await client.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${table}) AS any`);
      if (rows[0]?.any) {
        throw new CopyError(`${pg.displayUrl} already holds data (table ${table} is not empty): copy into an empty database, or drop this one first`);
      }
    }
    const counts: TableCount[] = [];
    let copied = 0;
    for (const table of tables) {
      copied += await copyTable(sqlite, client, table, columns.get(table)!, options);
      const sqliteCount = (sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      const pgCount = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
      counts.push({ table, sqlite: sqliteCount, postgres: pgCount });
    }
    const wrong = counts.filter((c) => c.sqlite !== c.postgres);
    if (wrong.length > 0) {
      // Rolled back with the transaction: nothing half-copied stays behind.
      throw new CopyError(`row counts differ after the copy (${wrong.map((c) => `${c.table}: ${c.sqlite} in SQLite, ${c.postgres} in PostgreSQL`).join('; ')}); nothing was kept`);
    }
    await resetIdentities(client, tables, columns);
    return { tables: counts, rows: copied, durationMs: Date.now() - started };
  });
}

async function copyTable(sqlite: Database.Database, client: import('pg').PoolClient, table: string, pgCols: PgColumn[], options: CopyOptions): Promise<number> {
  const sqliteCols = new Set((sqlite.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name));
  const shared = pgCols.filter((c) => sqliteCols.has(c.name));
  const withSearch = table === 'mentions' && pgCols.some((c) => c.name === 'search');
  const target = withSearch ? [...shared, { name: 'search', type: 'tsvector' }] : shared;
  const total = (sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  const hasId = sqliteCols.has('id');
  const select = sqlite.prepare(`SELECT ${shared.map((c) => `"${c.name}"`).join(', ')} FROM ${table}${hasId ? ' ORDER BY id' : ''}`);
  let batch: unknown[][] = [];
  let done = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const params: unknown[] = [];
    const tuples = batch.map((row) => `(${row.map((value, i) => `$${params.push(value)}${castFor(target[i]!.type)}`).join(', ')})`);
    await client.query(`INSERT INTO ${table} (${target.map((c) => `"${c.name}"`).join(', ')}) OVERRIDING SYSTEM VALUE VALUES ${tuples.join(', ')}`, params);
    done += batch.length;
    batch = [];
    options.onProgress?.(table, done, total);
  };
  for (const row of select.iterate() as IterableIterator<Record<string, unknown>>) {
    const values = shared.map((c) => convert(row[c.name], c, table));
    if (withSearch) values.push(searchDocument(String(row.title ?? ''), String(row.text ?? '')));
    batch.push(values);
    if (batch.length >= BATCH_ROWS) await flush();
  }
  await flush();
  return done;
}

/** Identity columns continue after the highest copied id. */
async function resetIdentities(client: import('pg').PoolClient, tables: string[], columns: Map<string, PgColumn[]>): Promise<void> {
  for (const table of tables) {
    if (!columns.get(table)?.some((c) => c.name === 'id')) continue;
    const { rows } = await client.query<{ seq: string | null }>(`SELECT pg_get_serial_sequence($1, 'id') AS seq`, [table]);
    const seq = rows[0]?.seq;
    if (!seq) continue;
    await client.query(`SELECT setval($1, coalesce((SELECT max(id) FROM ${table}), 0) + 1, false)`, [seq]);
  }
}
