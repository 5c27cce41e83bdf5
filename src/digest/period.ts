/**
 * Digest periods. A scheduled digest covers the time between two consecutive runs of its cron
 * schedule in its timezone: for "0 8 * * *" in Europe/Berlin, from yesterday 08:00 to today
 * 08:00 Berlin time, which is 23 or 25 hours long on the days the clocks change. croner does the
 * calendar arithmetic; everything else here works on UTC instants.
 *
 * `earshot digest --date D` covers the calendar day D in the digest's timezone (00:00 to 24:00
 * local, cut at "now" for today).
 */
import { Cron } from 'croner';

export interface Period {
  start: Date;
  end: Date;
}

export function scheduleOf(expr: string, timezone: string): Cron {
  return new Cron(expr, { timezone, paused: true });
}

/** The latest run of the schedule at or before `at`, or null when it never ran before. */
export function latestRunAtOrBefore(cron: Cron, at: Date): Date | null {
  return cron.previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
}

/** The run before `end` (the start of the period that ends at `end`). */
export function runBefore(cron: Cron, end: Date): Date | null {
  return cron.previousRuns(1, end)[0] ?? null;
}

/** The first run strictly after `at`. */
export function runAfter(cron: Cron, at: Date): Date | null {
  return cron.nextRun(at) ?? null;
}

/** The period that ends at the scheduled run `end`: from the run before it. */
export function scheduledPeriod(cron: Cron, end: Date): Period | null {
  const start = runBefore(cron, end);
  return start ? { start, end } : null;
}

/** The last complete scheduled period at `now`: the one ending at the latest run. */
export function lastCompletePeriod(cron: Cron, now: Date): Period | null {
  const end = latestRunAtOrBefore(cron, now);
  return end ? scheduledPeriod(cron, end) : null;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The local calendar date ('2026-11-23') of an instant in a timezone. */
export function localDate(at: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** Parses YYYY-MM-DD; returns null when it is not a real date. */
export function parseDate(text: string): { y: number; m: number; d: number } | null {
  const match = DATE.exec(text.trim());
  if (!match) return null;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const probe = new Date(Date.UTC(y, m - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== m - 1 || probe.getUTCDate() !== d) return null;
  return { y, m, d };
}

/** The instant the local day `date` (YYYY-MM-DD) begins in `timezone`. */
export function startOfLocalDay(date: string, timezone: string): Date {
  const parsed = parseDate(date);
  if (!parsed) throw new Error(`not a date: ${date}`);
  const midnight = scheduleOf('0 0 * * *', timezone);
  // Local midnight of D lies within UTC(D) - 14h .. UTC(D) + 12h for every real offset; start
  // well before it and step over the local midnights until the local date is D.
  let at: Date | null = new Date(Date.UTC(parsed.y, parsed.m - 1, parsed.d) - 40 * 3_600_000);
  for (let i = 0; i < 4 && at; i++) {
    at = midnight.nextRun(at);
    if (at && localDate(at, timezone) === date) return at;
  }
  throw new Error(`no local midnight found for ${date} in ${timezone}`);
}

/** The day after a YYYY-MM-DD date (calendar arithmetic, no timezone). */
export function nextDate(date: string, days = 1): string {
  const p = parseDate(date);
  if (!p) throw new Error(`not a date: ${date}`);
  return new Date(Date.UTC(p.y, p.m - 1, p.d + days)).toISOString().slice(0, 10);
}

/** The calendar day `date` in `timezone`, cut at `now` when it is today. */
export function dayPeriod(date: string, timezone: string, now: Date): Period {
  const start = startOfLocalDay(date, timezone);
  const end = startOfLocalDay(nextDate(date), timezone);
  return { start, end: end.getTime() > now.getTime() ? now : end };
}

/**
 * The period to compare against: the scheduled period before a scheduled one; for a day, the
 * same stretch of the day before (a partial today is compared with the same hours yesterday).
 */
export function previousPeriod(period: Period, cron: Cron | null, timezone: string, kind: 'scheduled' | 'day'): Period {
  if (kind === 'scheduled' && cron) {
    const start = runBefore(cron, period.start);
    if (start) return { start, end: period.start };
  }
  if (kind === 'day') {
    const day = localDate(period.start, timezone);
    const start = startOfLocalDay(nextDate(day, -1), timezone);
    const length = period.end.getTime() - period.start.getTime();
    return { start, end: new Date(Math.min(start.getTime() + length, period.start.getTime())) };
  }
  const length = period.end.getTime() - period.start.getTime();
  return { start: new Date(period.start.getTime() - length), end: period.start };
}
