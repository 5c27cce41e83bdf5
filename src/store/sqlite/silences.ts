/** Silences on SQLite (what they mean: ../silences.ts). */
import { ALL_RULES, isoTime, SILENCE_COLUMNS, silenceFromRow, validSilence, type SilenceRow } from '../silences.js';
import type { ActiveSilence, NewSilence, Silence } from '../types.js';
import { stmt, type Db } from './db.js';

export function addSilence(db: Db, silence: NewSilence): Silence {
  const { rule, brand, startsAt, endsAt, reason, createdAt } = validSilence(silence);
  const row = stmt<[string, string | null, string, string, string, string], SilenceRow>(
    db,
    `INSERT INTO silences (rule, brand, starts_at, ends_at, reason, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING ${SILENCE_COLUMNS}`,
  ).get(rule, brand, startsAt, endsAt, reason, createdAt);
  return silenceFromRow(row!);
}

export function getSilence(db: Db, id: number): Silence | null {
  const row = stmt<[number], SilenceRow>(db, `SELECT ${SILENCE_COLUMNS} FROM silences WHERE id = ?`).get(id);
  return row ? silenceFromRow(row) : null;
}

/** Silences by start time (newest first when `all`, else soonest ending first). */
export function listSilences(db: Db, options: { at: string; all?: boolean }): Silence[] {
  if (options.all) {
    return stmt<[], SilenceRow>(db, `SELECT ${SILENCE_COLUMNS} FROM silences ORDER BY starts_at DESC, id DESC`).all().map(silenceFromRow);
  }
  return stmt<[string], SilenceRow>(db, `SELECT ${SILENCE_COLUMNS} FROM silences WHERE removed_at IS NULL AND ends_at > ? ORDER BY ends_at, id`)
    .all(isoTime(options.at, 'time'))
    .map(silenceFromRow);
}

/**
 * Ends a silence now. Returns the silence as it was before (so a caller can tell "already ended"
 * or "already removed" from the status), or null when there is no such id.
 */
export function removeSilence(db: Db, id: number, at: string): Silence | null {
  const before = getSilence(db, id);
  if (!before) return null;
  if (before.removedAt === null) stmt(db, 'UPDATE silences SET removed_at = ? WHERE id = ? AND removed_at IS NULL').run(isoTime(at, 'time'), id);
  return before;
}

/**
 * The silence holding back alerts of `rule` for `brand` at `at`, or null. When several apply,
 * the one ending last wins: that is how long the alert stays held.
 */
export function activeSilence(db: Db, rule: string, brand: string, at: string): ActiveSilence | null {
  const now = isoTime(at, 'time');
  const row = stmt<[string, string, string, string], { id: number; reason: string; ends_at: string }>(
    db,
    `SELECT id, reason, ends_at FROM silences
     WHERE removed_at IS NULL AND starts_at <= ? AND ends_at > ? AND rule IN (?, '${ALL_RULES}') AND (brand IS NULL OR brand = ?)
     ORDER BY ends_at DESC, id DESC LIMIT 1`,
  ).get(now, now, rule, brand);
  return row ? { id: row.id, reason: row.reason, endsAt: row.ends_at } : null;
}
