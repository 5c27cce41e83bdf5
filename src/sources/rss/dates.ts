/**
 * Feed dates to ISO 8601 UTC. RSS uses RFC 822 (`Thu, 01 Jan 2004 19:48:21 GMT`, often with
 * sloppy variants: no weekday, 2-digit years, full month names, numeric zones, no seconds); Atom,
 * Dublin Core and JSON Feed use W3CDTF / RFC 3339 (`2003-12-31T10:14:55Z`, `2004-01`, ...).
 * A date without a zone is taken as UTC. Anything else is null, never a guess.
 */

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, sept: 9, oct: 10, nov: 11, dec: 12,
};

/** Zone abbreviations RFC 822 allows, plus the few European ones feeds use anyway. Minutes east of UTC. */
const ZONES: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0, wet: 0,
  est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
  akst: -540, akdt: -480, hst: -600,
  bst: 60, cet: 60, met: 60, cest: 120, mest: 120, eet: 120, eest: 180, msk: 180,
};

const W3CDTF =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$/;

const RFC822 =
  /^(?:[A-Za-z]{2,9}\.?,?\s*)?(\d{1,2})[\s-]+([A-Za-z]{3,9})\.?[\s-]+(\d{2,4})(?:[\sT]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?\s*([A-Za-z]{1,5}|[+-]\d{2}:?\d{2})?(?:\s*\(.*\))?$/;

/** Parses an RFC 822 or W3CDTF date; ISO 8601 UTC, or null when it is not a valid date. */
export function parseFeedDate(value: string | null | undefined): string | null {
  const text = value?.trim().replace(/\s+/g, ' ');
  if (!text) return null;
  return parseW3c(text) ?? parseRfc822(text);
}

function parseW3c(text: string): string | null {
  const m = W3CDTF.exec(text);
  if (!m) return null;
  const fraction = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  return build({
    year: Number(m[1]),
    month: m[2] ? Number(m[2]) : 1,
    day: m[3] ? Number(m[3]) : 1,
    hour: m[4] ? Number(m[4]) : 0,
    minute: m[5] ? Number(m[5]) : 0,
    second: m[6] ? Number(m[6]) : 0,
    ms: fraction,
    offsetMinutes: m[8] ? zoneOffset(m[8]) : 0,
  });
}

function parseRfc822(text: string): string | null {
  const m = RFC822.exec(text);
  if (!m) return null;
  const monthName = m[2]!.toLowerCase();
  const month = MONTHS[monthName.slice(0, 3)];
  if (month === undefined || !isMonthName(monthName)) return null;
  let year = Number(m[3]);
  if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (m[3]!.length === 3) return null;
  const offset = m[7] ? zoneOffset(m[7]) : 0;
  if (offset === null) return null;
  return build({
    year,
    month,
    day: Number(m[1]),
    hour: m[4] ? Number(m[4]) : 0,
    minute: m[5] ? Number(m[5]) : 0,
    second: m[6] ? Number(m[6]) : 0,
    ms: 0,
    offsetMinutes: offset,
  });
}

const FULL_MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** An abbreviation or the full English name, not just any word that starts like one. */
function isMonthName(lower: string): boolean {
  return lower in MONTHS || FULL_MONTHS.includes(lower);
}

function zoneOffset(zone: string): number | null {
  const numeric = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (numeric) {
    const minutes = Number(numeric[2]) * 60 + Number(numeric[3] ?? 0);
    return numeric[1] === '-' ? -minutes : minutes;
  }
  const known = ZONES[zone.toLowerCase()];
  if (known !== undefined) return known;
  // RFC 822 military zones are notoriously inverted in practice; treat any single letter as UTC.
  return /^[A-IK-Za-ik-z]$/.test(zone) ? 0 : null;
}

interface DateParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  offsetMinutes: number | null;
}

function build(p: DateParts): string | null {
  if (p.offsetMinutes === null) return null;
  if (p.year < 1900 || p.year > 2200) return null;
  if (p.month < 1 || p.month > 12 || p.day < 1 || p.day > daysIn(p.year, p.month)) return null;
  if (p.hour > 24 || p.minute > 59 || p.second > 60) return null;
  if (p.hour === 24 && (p.minute > 0 || p.second > 0)) return null;
  const utc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, Math.min(p.second, 59), p.ms) - p.offsetMinutes * 60_000;
  return new Date(utc).toISOString();
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
