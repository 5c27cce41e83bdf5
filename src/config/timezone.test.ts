import { describe, expect, it } from 'vitest';
import { isValidTimezone } from '../core/primitives.js';

describe('isValidTimezone', () => {
  it('accepts canonical IANA names, their aliases and UTC spellings', () => {
    for (const tz of ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Calcutta', 'US/Eastern', 'UTC', 'utc', 'Etc/UTC', 'GMT']) {
      expect(isValidTimezone(tz), tz).toBe(true);
    }
  });

  it('rejects typos and non-zones', () => {
    for (const tz of ['Europe/Berlinn', 'Mars/Olympus', 'CEST+1', '', 'Z', 'utc ']) {
      expect(isValidTimezone(tz), tz).toBe(false);
    }
  });
});
