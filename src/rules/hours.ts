/**
 * Quiet hours and active hours in the user's timezone (DST-safe: local wall-clock times are
 * computed with Intl for every instant, never with a fixed offset).
 *
 *   quiet_hours:  { from: "22:00", to: "07:00" }  alerts are held from 22:00 until 07:00
 *   active_hours: { from: "08:00", to: "20:00", days: [mon, tue, wed, thu, fri] }
 *                 alerts are held outside 08:00-20:00 on weekdays
 * A window whose `to` is earlier than its `from` spans midnight; `days` are the days a window
 * starts on (a Friday 22:00-07:00 window covers Saturday 03:00).
 */
import type { Day, HoursWindow } from './model.js';

/** Index = JavaScript's getDay(): 0 is Sunday. */
const DAY_NAMES: readonly Day[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', weekday: 'short', hour: '2-digit', minute: '2-digit' });
    formatters.set(tz, f);
  }
  return f;
}

/** Local weekday (0 = Sunday) and minute of the day of an instant in a timezone. */
export function localClock(at: Date, tz: string): { day: number; minute: number } {
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of formatter(tz).formatToParts(at)) {
    if (part.type === 'weekday') day = DAY_NAMES.indexOf(part.value.slice(0, 3).toLowerCase() as Day);
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { day, minute: hour * 60 + minute };
}

function minutesOf(clock: string): number {
  const [h, m] = clock.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** True when the instant falls inside the window. */
export function inWindow(window: HoursWindow, at: Date): boolean {
  const { day, minute } = localClock(at, window.timezone);
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  const days = window.days ?? null;
  const startsOn = (d: number) => days === null || days.includes(DAY_NAMES[(d + 7) % 7]!);
  if (from === to) return startsOn(day); // a whole day
  if (from < to) return minute >= from && minute < to && startsOn(day);
  // Spans midnight: the evening part starts today, the morning part started yesterday.
  if (minute >= from) return startsOn(day);
  if (minute < to) return startsOn(day - 1);
  return false;
}

/** Whether alerts are held at `at` by quiet hours or by being outside active hours. */
export function isHeld(quiet: HoursWindow | null, active: HoursWindow | null, at: Date): boolean {
  if (quiet && inWindow(quiet, at)) return true;
  if (active && !inWindow(active, at)) return true;
  return false;
}

const MINUTE = 60_000;
const MAX_SCAN_MINUTES = 8 * 24 * 60;

/** The first instant (whole minute) at or after `at` when alerts are no longer held, or null if never within 8 days. */
export function heldUntil(quiet: HoursWindow | null, active: HoursWindow | null, at: Date): Date | null {
  let t = Math.ceil(at.getTime() / MINUTE) * MINUTE;
  for (let i = 0; i < MAX_SCAN_MINUTES; i++, t += MINUTE) {
    if (!isHeld(quiet, active, new Date(t))) return new Date(t);
  }
  return null;
}
