/** Display helpers for digests: times in the digest's timezone, changes, shares, excerpts. */
import { FLAG_NAMES, FLAG_THRESHOLD, type Mention } from '../core/types.js';
import { formatAuthor, oneLine, truncate } from '../notifiers/format.js';
import { reachUnit } from '../sources/registry.js';
import type { BrandDigest, DigestModel } from './model.js';
import type { Period } from './period.js';

export const EXCERPT_LIMIT = 160;

function parts(at: Date, timezone: string, options: Intl.DateTimeFormatOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hourCycle: 'h23', ...options }).formatToParts(at)) out[p.type] = p.value;
  return out;
}

/** '14:05' in the timezone. */
export function localTime(at: Date, timezone: string): string {
  const p = parts(at, timezone, { hour: '2-digit', minute: '2-digit' });
  return `${p.hour}:${p.minute}`;
}

/** 'Mon 23 Nov' in the timezone. */
export function localDay(at: Date, timezone: string): string {
  const p = parts(at, timezone, { weekday: 'short', day: 'numeric', month: 'short' });
  return `${p.weekday} ${p.day} ${p.month}`;
}

/** 'Mon 23 Nov 14:05'. */
export function localDayTime(at: Date, timezone: string): string {
  return `${localDay(at, timezone)} ${localTime(at, timezone)}`;
}

/** 'Sun 22 Nov 08:00 – Mon 23 Nov 08:00 (Europe/Berlin)'. */
export function periodLabel(period: Period, timezone: string): string {
  return `${localDayTime(period.start, timezone)} – ${localDayTime(period.end, timezone)} (${timezone})`;
}

/** The day a digest is "for": the local day its period ends (scheduled) or covers (--date). */
export function digestDay(model: Pick<DigestModel, 'period' | 'timezone' | 'kind'>): string {
  return localDay(model.kind === 'day' ? model.period.start : model.period.end, model.timezone);
}

/** 'day' for a calendar day or a daily schedule's period (23-25 h across DST), else 'period'. */
export function periodNoun(model: Pick<DigestModel, 'period' | 'kind'>): 'day' | 'period' {
  const hours = (model.period.end.getTime() - model.period.start.getTime()) / 3_600_000;
  return model.kind === 'day' || (hours >= 22 && hours <= 26) ? 'day' : 'period';
}

/** '+8 (+24%)', '-3 (-50%)', '±0', '+5 (new)' against the previous count. */
export function formatChange(current: number, previous: number): string {
  const diff = current - previous;
  if (diff === 0) return '±0';
  const sign = diff > 0 ? '+' : '−';
  if (previous === 0) return `${sign}${Math.abs(diff)}`;
  const pct = Math.round((Math.abs(diff) / previous) * 100);
  return `${sign}${Math.abs(diff)} (${sign}${pct}%)`;
}

/** Whole-number percentage of a total; 0 when the total is 0. */
export function percent(part: number, total: number): number {
  return total === 0 ? 0 : Math.round((part / total) * 100);
}

/** Control characters (other than newline) removed: mention text can never rewrite a terminal or break a mail. */
export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
}

/** One line: 'Title — text…', capped. */
export function excerpt(m: Pick<Mention, 'title' | 'text'>, max = EXCERPT_LIMIT): string {
  const title = oneLine(clean(m.title));
  const text = oneLine(clean(m.text));
  const body = title && text && !text.startsWith(title) ? `${title} — ${text}` : title || text;
  return truncate(body, max);
}

/** 'u/foo (512 karma) on reddit, Mon 23 Nov 14:05'. */
export function byline(m: Mention, timezone: string): string {
  const flags = raisedFlags(m);
  const flagged = flags.length > 0 ? ` · flagged ${flags.join(', ')}` : '';
  return `${oneLine(clean(formatAuthor(m, reachUnit(m.source))))} on ${m.source}, ${localDayTime(new Date(m.publishedAt), timezone)}${flagged}`;
}

/** The analysis flags raised on a mention (score ≥ 0.5), e.g. ['offensive']; none when unknown. */
export function raisedFlags(m: Mention): string[] {
  const flags = m.flags;
  if (!flags) return [];
  return FLAG_NAMES.filter((name) => flags[name] >= FLAG_THRESHOLD);
}

/** "counted in a sample of 1,000 of 51,478 mentions" when phrases came from a sample, else ''. */
export function phraseSampleNote(b: Pick<BrandDigest, 'phrasesSample'>): string {
  const s = b.phrasesSample;
  return s ? `counted in a sample of ${s.mentions.toLocaleString('en-US')} of ${s.of.toLocaleString('en-US')} mentions` : '';
}
