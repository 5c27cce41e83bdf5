/** Silences on PostgreSQL (what they mean: ../silences.ts). */
import { ALL_RULES, isoTime, SILENCE_COLUMNS, silenceFromRow, validSilence, type SilenceRow } from '../silences.js';
import type { Silence, SilenceRepo } from '../types.js';
import type { Sql } from './sql.js';

async function get(sql: Sql, id: number): Promise<Silence | null> {
  const row = await sql.one<SilenceRow>(`SELECT ${SILENCE_COLUMNS} FROM silences WHERE id = $1`, [id]);
  return row ? silenceFromRow(row) : null;
}

export function silenceRepo(sql: Sql): SilenceRepo {
  return {
    async add(silence) {
      const s = validSilence(silence);
      const row = await sql.one<SilenceRow>(
        `INSERT INTO silences (rule, brand, starts_at, ends_at, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${SILENCE_COLUMNS}`,
        [s.rule, s.brand, s.startsAt, s.endsAt, s.reason, s.createdAt],
      );
      return silenceFromRow(row!);
    },
    get: (id) => get(sql, id),
    async list(options) {
      if (options.all) return (await sql.rows<SilenceRow>(`SELECT ${SILENCE_COLUMNS} FROM silences ORDER BY starts_at DESC, id DESC`)).map(silenceFromRow);
      const rows = await sql.rows<SilenceRow>(`SELECT ${SILENCE_COLUMNS} FROM silences WHERE removed_at IS NULL AND ends_at > $1 ORDER BY ends_at, id`, [
        isoTime(options.at, 'time'),
      ]);
      return rows.map(silenceFromRow);
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
