/**
 * Silences (`earshot silence add|list|remove`): for a while, a rule's alerts (optionally for one
 * brand) are recorded but not sent. A silence covers [starts_at, ends_at); `rule` is a rule name
 * or '*' for every rule; `brand` NULL means every brand. Removing a silence ends it at once but
 * keeps the row (removed_at), so `silence list --all` shows what was silenced, when and why.
 *
 * Silences are keyed on the rule's NAME, not its checksum: a silence set during an incident must
 * survive someone editing the rule's threshold.
 *
 * What every backend shares: validation and the status of a silence at a time.
 */
import type { NewSilence, Silence } from './types.js';

export const ALL_RULES = '*';

export type SilenceStatus = 'pending' | 'active' | 'ended' | 'removed';

/** Times are compared as text in SQL, so every stored time has the same ISO form. */
export function isoTime(value: string, field: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`silence ${field}: "${value}" is not a time`);
  return new Date(ms).toISOString();
}

export interface ValidSilence {
  rule: string;
  brand: string | null;
  startsAt: string;
  endsAt: string;
  reason: string;
  createdAt: string;
}

/** Checks a new silence (RangeError with what to fix) and normalises its fields. */
export function validSilence(silence: NewSilence): ValidSilence {
  const rule = silence.rule.trim();
  if (rule === '') throw new RangeError('a silence needs a rule name (or * for every rule)');
  const reason = silence.reason.trim();
  if (reason === '') throw new RangeError('a silence needs a reason, so others know why alerts are held');
  const startsAt = isoTime(silence.startsAt, 'start');
  const endsAt = isoTime(silence.endsAt, 'end');
  if (endsAt <= startsAt) throw new RangeError('a silence must end after it starts');
  const createdAt = isoTime(silence.createdAt ?? silence.startsAt, 'created');
  return { rule, brand: silence.brand ?? null, startsAt, endsAt, reason, createdAt };
}

export function silenceStatus(silence: Silence, at: string): SilenceStatus {
  if (silence.removedAt !== null) return 'removed';
  const now = isoTime(at, 'time');
  if (now < silence.startsAt) return 'pending';
  return now < silence.endsAt ? 'active' : 'ended';
}

/** A silences row as both backends return it (pg converts timestamptz to the same ISO text). */
export interface SilenceRow {
  id: number;
  rule: string;
  brand: string | null;
  starts_at: string;
  ends_at: string;
  reason: string;
  created_at: string;
  removed_at: string | null;
}

export const SILENCE_COLUMNS = 'id, rule, brand, starts_at, ends_at, reason, created_at, removed_at';

export function silenceFromRow(row: SilenceRow): Silence {
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
