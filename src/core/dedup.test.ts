import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalUrl, fingerprintText, textFingerprint } from './dedup.js';

/** The definition the fast path must match: the plain chain of regular expressions. */
function referenceNormal(joined: string): string {
  return joined
    .normalize('NFKC')
    .toLowerCase()
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/(^|\s)rt\s+@\w+:?/g, ' ')
    .replace(/@[\p{L}\p{N}_.]+/gu, ' ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

const tricky = fc.constantFrom(
  'a', 'Z', '7', ' ', '\n', '\t', '@', 'RT', 'rt', ':', '.', '_', '-', 'http://', 'https://x.io/a?b=1', 'HTTP://',
  'é', 'É', 'ﬁ', 'İ', 'ß', 'Σ', 'ς', '١', '½', 'Ａ', '\u00a0', '\u3000', '😀', '👍🏽', '\ud800', '\udc00', '𝒜', '中文', 'я',
);

describe('textFingerprint', () => {
  it('normalises exactly like the regular-expression chain', () => {
    fc.assert(
      fc.property(fc.array(tricky, { maxLength: 40 }).map((parts) => parts.join('')), (s) => {
        expect(fingerprintText(s)).toBe(referenceNormal(s));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        expect(fingerprintText(s)).toBe(referenceNormal(s));
      }),
      { numRuns: 1000 },
    );
  });

  it('hashes the normal form of title and text, and ignores short texts', () => {
    const title = 'Acme Cloud: what happened';
    const text = 'RT @someone: Acme Cloud is DOWN again!!! https://status.example.com/x?utm_source=t 😡';
    const expected = createHash('sha1').update(referenceNormal(`${title} ${text}`)).digest('base64url').slice(0, 22);
    expect(textFingerprint(title, text)).toBe(expected);
    expect(textFingerprint('', 'Acme cloud is down again, why?')).toBe(textFingerprint('', 'acme CLOUD is down again why https://t.co/x'));
    expect(textFingerprint('', 'thanks @acme!')).toBeNull();
  });
});

describe('canonicalUrl', () => {
  it('drops tracking parameters, www., fragments and trailing slashes', () => {
    expect(canonicalUrl('https://www.Example.com/a/b/?utm_source=x&b=2&a=1#top')).toBe('example.com/a/b?a=1&b=2');
    expect(canonicalUrl('https://twitter.com/acme/status/1')).toBe('x.com/acme/status/1');
    expect(canonicalUrl('ftp://example.com/x')).toBeNull();
    expect(canonicalUrl('not a url')).toBeNull();
  });
});
