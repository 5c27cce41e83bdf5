/**
 * Schema building blocks shared by the config files' schemas (durations, ids, cron, timezones).
 */
import { z } from 'zod';
import type { Cron } from 'croner';
import { parseDuration } from './duration.js';
import { lazy } from './lazy.js';

/** croner loads when a digest schedule is checked: most deployments have none. */
const croner = lazy<{ Cron: typeof Cron }>('croner');

export const BRAND_ID = /^[a-z0-9][a-z0-9-]*$/;

export const durationSchema = z
  .string({ error: 'expected a duration like 30s, 15m, 2h or 7d (a number with a unit)' })
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration: write it like 30s, 15m, 2h or 7d` });
      return z.NEVER;
    }
    return ms;
  });

export function oneOrMany<T extends z.ZodType>(item: T) {
  return z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);
}

export const brandIdSchema = z
  .string({ error: 'expected a brand id (lower-case letters, digits and -)' })
  .regex(BRAND_ID, 'a brand id uses lower-case letters, digits and - only, e.g. acme-cloud');

export const timezoneSchema = z.string().refine(isValidTimezone, {
  message: 'unknown timezone: use an IANA name like Europe/Berlin, America/New_York or UTC',
});

export const cronSchema = z.string().superRefine((expr, ctx) => {
  const problem = cronProblem(expr);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

let canonicalZones: Set<string> | null = null;
const UTC_NAMES = new Set(['utc', 'etc/utc', 'gmt', 'etc/gmt']);

export function isValidTimezone(tz: string): boolean {
  // The canonical IANA names answer in ~2 ms; a first Intl.DateTimeFormat with a timeZone loads
  // ICU's formatting data (~20 ms of `earshot check`). Aliases (US/Eastern, Asia/Calcutta, utc)
  // and typos still get the formatter's verdict.
  if (UTC_NAMES.has(tz.toLowerCase())) return true;
  canonicalZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (canonicalZones.has(tz)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function cronProblem(expr: string): string | null {
  try {
    const job = new (croner().Cron)(expr, { paused: true });
    job.stop();
    return null;
  } catch (err) {
    return `invalid cron expression "${expr}": ${(err as Error).message}; e.g. "0 8 * * *" is every day at 08:00`;
  }
}
