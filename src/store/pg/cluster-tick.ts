/**
 * The SQL of the cluster's poll tick (src/pipeline/cluster.ts): the statements it runs on the
 * tick's own transaction, beside pg-boss's, so the lock, the orphan check and the due sources
 * are read and queued atomically.
 */
import type pg from 'pg';
import { withClient } from './sql.js';
import type { PostgresStore } from './store.js';

/** Takes a transaction-level advisory lock if free: true when this transaction holds it. */
/** One rules pass at a time across every process on the database (daemons and one-shot commands). */
export const RULES_LOCK: readonly [number, number] = [0x65617273, 4];

export async function tryTransactionLock(client: pg.ClientBase, key: readonly [number, number]): Promise<boolean> {
  const lock = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1, $2) AS locked', [...key]);
  return lock.rows[0]?.locked === true;
}

/** Active poll jobs of `queue` whose node stopped renewing the source's lease (it died mid-poll). */
export async function orphanedPollJobs(client: pg.ClientBase, queue: string): Promise<string[]> {
  const rows = await client.query<{ id: string }>(
    `SELECT j.id FROM pgboss.job j JOIN source_state s ON s.source_key = j.singleton_key
     WHERE j.name = $1 AND j.state = 'active' AND s.poll_owner IS NOT NULL AND s.poll_lease_until < clock_timestamp()`,
    [queue],
  );
  return rows.rows.map((r) => r.id);
}

/** Of `candidates`, the sources due now, not leased, and without a live job in `queue`; oldest due first. */
export async function dueUnqueuedSources(client: pg.ClientBase, candidates: readonly string[], queue: string): Promise<string[]> {
  const due = await client.query<{ source_key: string }>(
    `SELECT s.source_key FROM source_state s
     WHERE s.source_key = ANY($1::text[])
       AND (s.next_poll_at IS NULL OR s.next_poll_at <= clock_timestamp())
       AND (s.poll_owner IS NULL OR s.poll_lease_until < clock_timestamp())
       AND NOT EXISTS (SELECT 1 FROM pgboss.job j WHERE j.name = $2 AND j.singleton_key = s.source_key AND j.state < 'completed')
     ORDER BY s.next_poll_at NULLS FIRST`,
    [candidates, queue],
  );
  return due.rows.map((r) => r.source_key);
}

/** Runs fn holding a session-level advisory lock on one pooled connection. */
export async function withSessionLock<T>(store: PostgresStore, key: readonly [number, number], fn: () => Promise<T>): Promise<T> {
  // withClient: the lock's connection is held for the whole of fn; if the server restarts
  // meanwhile, its error must not be unhandled (and the lock went with the session anyway).
  return withClient(store.pool, async (client) => {
    await client.query('SELECT pg_advisory_lock($1, $2)', [...key]);
    try {
      return await fn();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [...key]);
    }
  });
}

/**
 * Runs fn holding a session-level advisory lock when it is free; resolves `{ ran: false }` at
 * once when another session holds it (the caller tries again shortly instead of queueing).
 */
export async function trySessionLock<T>(store: PostgresStore, key: readonly [number, number], fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
  return withClient(store.pool, async (client) => {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [...key]);
    if (!rows[0]?.locked) return { ran: false };
    try {
      return { ran: true, value: await fn() };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [...key]);
    }
  });
}
