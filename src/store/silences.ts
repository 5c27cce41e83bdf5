/**
 * Silences (`earshot silence add|list|remove`): for a while, a rule's alerts (optionally for one
 * brand) are recorded but not sent. A silence covers [starts_at, ends_at); `rule` is a rule name
 * or '*' for every rule; `brand` NULL means every brand. Removing a silence ends it at once but
 * keeps the row (removed_at), so `silence list --all` shows what was silenced, when and why.
 *
 * Silences are keyed on the rule's NAME, not its checksum: a silence set during an incident must
 * survive someone editing the rule's threshold.
 */
import { stmt, type Db } from './db.js';

export const ALL_RULES = '*';

export interface Silence {
  id: number;
  /** A rule name, or '*' for every rule. */
  rule: string;
  /** null: every brand. */
  brand: string | null;
  startsAt: string;
  endsAt: string;
  reason: string;
  createdAt: string;
  removedAt: string | null;
}

export interface NewSilence {
  rule: string;
  brand?: string | null;
  startsAt: string;
  endsAt: string;
  reason: string;
  /** Default: startsAt. */
  createdAt?: string;
}

export type SilenceStatus = 'pending' | 'active' | 'ended' | 'removed';

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

/** Times are compared as text in SQL, so every stored time has the same ISO form. */
function iso(value: string, field: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`silence ${field}: "${value}" is not a time`);
  return new Date(ms).toISOString();
}

export function addSilence(db: Db, silence: NewSilence): Silence {
  const rule = silence.rule.trim();
  if (rule === '') throw new RangeError('a silence needs a rule name (or * for every rule)');
  const reason = silence.reason.trim();
  if (reason === '') throw new RangeError('a silence needs a reason, so others know why alerts are held');
  const startsAt = iso(silence.startsAt, 'start');
  const endsAt = iso(silence.endsAt, 'end');
  if (endsAt <= startsAt) throw new RangeError('a silence must end after it starts');
  const createdAt = iso(silence.createdAt ?? silence.startsAt, 'created');
  const row = stmt<[string, string | null, string, string, string, string], Row>(
    db,
    `INSERT INTO silences (rule, brand, starts_at, ends_at, reason, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
  ).get(rule, silence.brand ?? null, startsAt, endsAt, reason, createdAt);
  return fromRow(row!);
}

export function getSilence(db: Db, id: number): Silence | null {
  const row = stmt<[number], Row>(db, `SELECT ${COLUMNS} FROM silences WHERE id = ?`).get(id);
  return row ? fromRow(row) : null;
}

export function silenceStatus(silence: Silence, at: string): SilenceStatus {
  if (silence.removedAt !== null) return 'removed';
  const now = iso(at, 'time');
  if (now < silence.startsAt) return 'pending';
  return now < silence.endsAt ? 'active' : 'ended';
}

export interface ListSilencesOptions {
  /** The current time, ISO. */
  at: string;
  /** Also ended and removed silences (default: only active and pending ones). */
  all?: boolean;
}

/** Silences by start time (newest first when `all`, else soonest ending first). */
export function listSilences(db: Db, options: ListSilencesOptions): Silence[] {
  if (options.all) {
    return stmt<[], Row>(db, `SELECT ${COLUMNS} FROM silences ORDER BY starts_at DESC, id DESC`).all().map(fromRow);
  }
  return stmt<[string], Row>(db, `SELECT ${COLUMNS} FROM silences WHERE removed_at IS NULL AND ends_at > ? ORDER BY ends_at, id`)
    .all(iso(options.at, 'time'))
    .map(fromRow);
}

/**
 * Ends a silence now. Returns the silence as it was before (so a caller can tell "already ended"
 * or "already removed" from the status), or null when there is no such id.
 */
export function removeSilence(db: Db, id: number, at: string): Silence | null {
  const before = getSilence(db, id);
  if (!before) return null;
  if (before.removedAt === null) stmt(db, 'UPDATE silences SET removed_at = ? WHERE id = ? AND removed_at IS NULL').run(iso(at, 'time'), id);
  return before;
}

/**
 * The silence holding back alerts of `rule` for `brand` at `at`, or null. When several apply,
 * the one ending last wins: that is how long the alert stays held.
 */
export function activeSilence(db: Db, rule: string, brand: string, at: string): { id: number; reason: string; endsAt: string } | null {
  const now = iso(at, 'time');
  const row = stmt<[string, string, string, string], { id: number; reason: string; ends_at: string }>(
    db,
    `SELECT id, reason, ends_at FROM silences
     WHERE removed_at IS NULL AND starts_at <= ? AND ends_at > ? AND rule IN (?, '${ALL_RULES}') AND (brand IS NULL OR brand = ?)
     ORDER BY ends_at DESC, id DESC LIMIT 1`,
  ).get(now, now, rule, brand);
  return row ? { id: row.id, reason: row.reason, endsAt: row.ends_at } : null;
}
