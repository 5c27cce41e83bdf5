/**
 * How the PostgreSQL repositories run SQL: through the pool (each call on any free connection)
 * or through one client holding an open transaction. `atomic(fn)` makes several statements one
 * unit: a transaction of their own on the pool, or simply part of the caller's transaction (the
 * caller's COMMIT or ROLLBACK decides, as on SQLite).
 *
 * Statements are sent as named prepared statements, so each connection parses and plans a hot
 * statement once; names are assigned per distinct SQL text.
 */
import type pg from 'pg';

export interface Sql {
  rows<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  one<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R | undefined>;
  /** Runs a statement and returns how many rows it touched. */
  run(text: string, params?: readonly unknown[]): Promise<number>;
  /** Runs fn as one unit (see the module comment). */
  atomic<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  /** True when bound to an open transaction. */
  readonly inTransaction: boolean;
}

const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `earshot_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

function config(text: string, params: readonly unknown[] | undefined): pg.QueryConfig {
  return { name: statementName(text), text, values: params ? [...params] : [] };
}

async function query<R extends pg.QueryResultRow>(on: pg.Pool | pg.ClientBase, text: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>> {
  return on.query<R>(config(text, params));
}

/**
 * Runs fn on one client checked out of the pool. A checked-out client has no 'error' listener
 * (the pool listens only while it is idle): a server restart or a dropped connection while it is
 * held would be an unhandled 'error' event and end the process. Here it is caught; the query in
 * flight rejects on its own, and the broken connection is discarded on release instead of reused.
 */
export async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient, discard: () => void) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  const onError = (): void => {
    broken = true;
  };
  client.on('error', onError);
  try {
    return await fn(client, onError);
  } finally {
    client.removeListener('error', onError);
    client.release(broken ? true : undefined);
  }
}

/** Runs fn in a transaction on one client from the pool: BEGIN, fn, COMMIT (ROLLBACK when it rejects). */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (client, discard) => {
    await client.query('BEGIN');
    try {
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A client whose ROLLBACK failed is in an unknown state: drop it rather than reuse it.
      await client.query('ROLLBACK').catch(discard);
      throw err;
    }
  });
}

export function poolSql(pool: pg.Pool): Sql {
  return {
    inTransaction: false,
    async rows<R extends pg.QueryResultRow>(text: string, params?: readonly unknown[]): Promise<R[]> {
      return (await query<R>(pool, text, params)).rows;
    },
    async one<R extends pg.QueryResultRow>(text: string, params?: readonly unknown[]): Promise<R | undefined> {
      return (await query<R>(pool, text, params)).rows[0];
    },
    run: async (text, params) => (await query(pool, text, params)).rowCount ?? 0,
    atomic: (fn) => withTransaction(pool, (client) => fn(clientSql(client, () => true))),
  };
}

/** SQL on a client inside an open transaction; `isOpen` says whether the transaction still runs. */
export function clientSql(client: pg.ClientBase, isOpen: () => boolean): Sql {
  const check = (): void => {
    if (!isOpen()) throw new Error('store: this transaction has ended; use the store, or a new transaction');
  };
  const sql: Sql = {
    inTransaction: true,
    async rows<R extends pg.QueryResultRow>(text: string, params?: readonly unknown[]): Promise<R[]> {
      check();
      return (await query<R>(client, text, params)).rows;
    },
    async one<R extends pg.QueryResultRow>(text: string, params?: readonly unknown[]): Promise<R | undefined> {
      check();
      return (await query<R>(client, text, params)).rows[0];
    },
    run: async (text, params) => {
      check();
      return (await query(client, text, params)).rowCount ?? 0;
    },
    atomic: (fn) => fn(sql),
  };
  return sql;
}
