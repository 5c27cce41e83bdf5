import { describe, expect, it } from 'vitest';
import { heldUntil, inWindow, isHeld, localClock } from './hours.js';
import type { HoursWindow } from './schema.js';

const w = (from: string, to: string, extra: Partial<HoursWindow> = {}): HoursWindow => ({
  from,
  to,
  timezone: 'Europe/Berlin',
  then: 'deliver',
  ...extra,
});

describe('localClock', () => {
  it('follows DST in Europe/Berlin', () => {
    expect(localClock(new Date('2026-01-15T12:00:00Z'), 'Europe/Berlin')).toEqual({ day: 4, minute: 13 * 60 });
    expect(localClock(new Date('2026-07-15T12:00:00Z'), 'Europe/Berlin')).toEqual({ day: 3, minute: 14 * 60 });
  });
});

describe('inWindow', () => {
  it.each<[string, HoursWindow, string, boolean]>([
    ['inside a day window', w('08:00', '20:00'), '2026-11-23T10:00:00Z', true], // 11:00 Berlin
    ['before a day window', w('08:00', '20:00'), '2026-11-23T06:30:00Z', false], // 07:30
    ['end is exclusive', w('08:00', '20:00'), '2026-11-23T19:00:00Z', false], // 20:00
    ['overnight, evening part', w('22:00', '07:00'), '2026-11-23T22:30:00Z', true], // 23:30
    ['overnight, morning part', w('22:00', '07:00'), '2026-11-24T04:00:00Z', true], // 05:00
    ['overnight, daytime', w('22:00', '07:00'), '2026-11-24T12:00:00Z', false],
    ['days: weekday window on Monday', w('08:00', '20:00', { days: ['mon', 'tue', 'wed', 'thu', 'fri'] }), '2026-11-23T10:00:00Z', true],
    ['days: weekday window on Sunday', w('08:00', '20:00', { days: ['mon', 'tue', 'wed', 'thu', 'fri'] }), '2026-11-22T10:00:00Z', false],
    ['days: Friday night window covers Saturday morning', w('22:00', '07:00', { days: ['fri'] }), '2026-11-28T03:00:00Z', true],
    ['days: Friday night window does not cover Sunday morning', w('22:00', '07:00', { days: ['fri'] }), '2026-11-29T03:00:00Z', false],
    ['timezone matters', w('08:00', '20:00', { timezone: 'America/New_York' }), '2026-11-23T10:00:00Z', false], // 05:00 NY
  ])('%s', (_name, window, at, expected) => {
    expect(inWindow(window, new Date(at))).toBe(expected);
  });
});

describe('heldUntil', () => {
  it('returns the end of quiet hours in local time', () => {
    const until = heldUntil(w('22:00', '07:00'), null, new Date('2026-11-23T22:30:00Z'));
    expect(until?.toISOString()).toBe('2026-11-24T06:00:00.000Z'); // 07:00 Berlin (UTC+1)
  });

  it('returns the next start of active hours, skipping the weekend', () => {
    const active = w('09:00', '17:00', { days: ['mon', 'tue', 'wed', 'thu', 'fri'] });
    const until = heldUntil(null, active, new Date('2026-11-28T12:00:00Z')); // Saturday
    expect(until?.toISOString()).toBe('2026-11-30T08:00:00.000Z'); // Monday 09:00 Berlin
  });

  it('handles the night DST starts (Europe/Berlin, 2026-03-29)', () => {
    const until = heldUntil(w('01:00', '04:00'), null, new Date('2026-03-29T00:30:00Z')); // 01:30 CET
    expect(until?.toISOString()).toBe('2026-03-29T02:00:00.000Z'); // 04:00 CEST
  });

  it('is immediate when nothing holds', () => {
    const at = new Date('2026-11-23T12:00:00Z');
    expect(isHeld(w('22:00', '07:00'), null, at)).toBe(false);
    expect(heldUntil(w('22:00', '07:00'), null, at)?.toISOString()).toBe(at.toISOString());
  });
});
