import { describe, expect, it } from 'vitest';
import { formatCount, formatScore, formatSigned, formatUtc, mentionBody, safeHttpUrl, truncate } from './format.js';

describe('format helpers', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1k'],
    [12_345, '12.3k'],
    [999_949, '999.9k'],
    [1_200_000, '1.2M'],
  ])('formatCount(%d) = %s', (value, expected) => {
    expect(formatCount(value)).toBe(expected);
  });

  it.each([
    [-0.7234, '-0.72'],
    [0.5, '+0.50'],
    [0, '0.00'],
  ])('formatSigned(%d) = %s', (value, expected) => {
    expect(formatSigned(value)).toBe(expected);
  });

  it('formats times in UTC and leaves invalid input alone', () => {
    expect(formatUtc('2026-11-23T09:30:00+01:00')).toBe('2026-11-23 08:30 UTC');
    expect(formatUtc('yesterday')).toBe('yesterday');
  });

  it.each([
    ['https://example.com/x', 'https://example.com/x'],
    ['  HTTP://Example.com  ', 'http://example.com/'],
    ['javascript:alert(1)', null],
    ['JaVaScRiPt:alert(1)', null],
    ['data:text/html;base64,AAAA', null],
    ['//example.com', null],
    ['', null],
    [null, null],
  ])('safeHttpUrl(%j) = %j', (input, expected) => {
    expect(safeHttpUrl(input)).toBe(expected);
  });

  it('truncates by code points and keeps short text as is', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcdef', 4)).toBe('abc…');
  });

  it('lists at most three reasons', () => {
    expect(formatScore('negative', -0.5, ['a', 'b', 'c', 'd'])).toBe('negative (-0.50): a, b, c');
    expect(formatScore('low', 0.1, [], 3, false)).toBe('low (0.10)');
  });

  it('drops a text that only repeats the title', () => {
    expect(mentionBody({ title: 'Same', text: ' Same ' }, 100)).toEqual({ title: 'Same', text: '' });
  });
});
