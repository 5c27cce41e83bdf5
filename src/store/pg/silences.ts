/** Silences on PostgreSQL (what they mean: ../silences.ts). */
import { ALL_RULES, isoTime, validSilence } from '../silences.js';
import type { Silence, SilenceRepo } from '../types.js';
import type { Sql } from './sql.js';

interface Row {
  id: number;
  rule: string;
  brand: string | null;
  starts_at: string;
  ends_at: string;
  reason: string;
  created_at: string;
  removed_at: string | null;
}

const COLUMNS = 'id, rule, brand, starts_at, ends_at, reason, created_at, removed_at';

function fromRow(row: Row): Silence {
  return {
    id: row.id,
    rule: row.rule,
    brand: row.brand,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    reason: row.reason,
    createdAt: row.created_at,
    removedAt: row.removed_at,
  };
}

async function get(sql: Sql, id: number): Promise<Silence | null> {
  const row = await sql.one<Row>(`SELECT ${COLUMNS} FROM silences WHERE id = $1`, [id]);
  return row ? fromRow(row) : null;
}

export function silenceRepo(sql: Sql): SilenceRepo {
  return {
    async add(silence) {
      const s = validSilence(silence);
      const row = await sql.one<Row>(
        `INSERT INTO silences (rule, brand, starts_at, ends_at, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
        [s.rule, s.brand, s.startsAt, s.endsAt, s.reason, s.createdAt],
      );
      return fromRow(row!);
    },
    get: (id) => get(sql, id),
    async list(options) {
      if (options.all) return (await sql.rows<Row>(`SELECT ${COLUMNS} FROM silences ORDER BY starts_at DESC, id DESC`)).map(fromRow);
      const rows = await sql.rows<Row>(`SELECT ${COLUMNS} FROM silences WHERE removed_at IS NULL AND ends_at > $1 ORDER BY ends_at, id`, [
        isoTime(options.at, 'time'),
      ]);
      return rows.map(fromRow);
    },
    remove: (id, at) =>
      sql.atomic(async (tx) => {
        const before = await get(tx, id);
        if (!before) return null;
        if (before.removedAt === null) await tx.run('UPDATE silences SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL', [isoTime(at, 'time'), id]);
        return before;
      }),
    async active(rule, brand, at) {
      const now = isoTime(at, 'time');
      const row = await sql.one<{ id: number; reason: string; ends_at: string }>(
        `SELECT id, reason, ends_at FROM silences
         WHERE removed_at IS NULL AND starts_at <= $1 AND ends_at > $1 AND rule IN ($2, '${ALL_RULES}') AND (brand IS NULL OR brand = $3)
         ORDER BY ends_at DESC, id DESC LIMIT 1`,
        [now, rule, brand],
      );
      return row ? { id: row.id, reason: row.reason, endsAt: row.ends_at } : null;
    },
  };
}
