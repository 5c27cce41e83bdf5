/** Display helpers for the web UI. Escaping is the template's job (hono/jsx escapes every value). */
import { FLAG_NAMES, FLAG_THRESHOLD, type Mention } from '../core/types.js';
import { formatReach, formatSigned, oneLine, safeHttpUrl, truncate, withoutControls } from '../notifiers/format.js';
import { reachUnit } from '../sources/registry.js';

export { formatSigned, safeHttpUrl, truncate };

/** '12.3k followers', '512 karma', or null when the source gave no figure. */
export function reachText(m: Pick<Mention, 'reach' | 'source'>): string | null {
  return formatReach(m.reach, reachUnit(m.source));
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** 'just now', '5 min ago', '3 h ago', '2 d ago', then '21 Nov 2026'; 'in 4 h' for the future. */
export function relativeTime(iso: string, now: Date): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const diff = now.getTime() - t;
  const abs = Math.abs(diff);
  const ahead = diff < 0;
  let text: string;
  if (abs < MINUTE) return ahead ? 'in under a minute' : 'just now';
  if (abs < HOUR) text = `${Math.round(abs / MINUTE)} min`;
  else if (abs < DAY) text = `${Math.round(abs / HOUR)} h`;
  else if (abs < 14 * DAY) text = `${Math.round(abs / DAY)} d`;
  else return utcDate(iso);
  return ahead ? `in ${text}` : `${text} ago`;
}

/** '21 Nov 2026'. */
export function utcDate(iso: string): string {
  return new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

/** '2026-11-23 08:00 UTC'. */
export function utcTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Title and text for a row: one line each, control characters removed, capped. */
export function rowText(m: Pick<Mention, 'title' | 'text'>, max = 280): { title: string; text: string } {
  const title = truncate(oneLine(withoutControls(m.title)), 160);
  const text = oneLine(withoutControls(m.text));
  return { title, text: text === title ? '' : truncate(text, max) };
}

export function authorName(m: Pick<Mention, 'author'>): string {
  return withoutControls(m.author ?? '').trim() || 'unknown author';
}

export function durationText(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < HOUR) return `${Math.max(1, Math.round(ms / MINUTE))} min`;
  if (ms < 2 * DAY) return `${(ms / HOUR).toFixed(ms < 10 * HOUR ? 1 : 0)} h`;
  return `${(ms / DAY).toFixed(1)} d`;
}

export { formatCount } from '../notifiers/format.js';

/** Analysis flags when the analyzer gives them (offensive, hate, irony in [0, 1]); raised at 0.5. */
export function raisedFlags(m: Mention): Array<{ name: string; score: number }> {
  if (!m.flags) return [];
  return FLAG_NAMES.filter((name) => (m.flags?.[name] ?? 0) >= FLAG_THRESHOLD).map((name) => ({ name, score: m.flags![name] }));
}

export function scoreText(score: number): string {
  return formatSigned(score).replace('-', '−');
}
