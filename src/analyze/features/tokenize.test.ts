import { describe, expect, it } from 'vitest';
import { hashString } from './hash.js';
import { isNegator, isNegatorToken, normalizeText, tokenize } from './tokenize.js';
import { createFeatureBuffer, extractFeatures, FEATURE_KIND } from './extract.js';

const norms = (text: string) => tokenize(text).map((t) => t.norm);

describe('normalizeText', () => {
  it.each([
    ['Tom &amp; Jerry &lt;3', 'Tom & Jerry <3'],
    ['don\\u2019t', "don't"],
    ['donâ€™t â€œquotedâ€\u009d', `don't "quoted"`],
    ['it’s', "it's"],
  ])('%j -> %j', (input, expected) => {
    expect(normalizeText(input)).toBe(expected);
  });
});

describe('tokenize', () => {
  it.each([
    ['@AcmeCloud check https://acme.example/x?y=1 now', ['@user', 'check', '<url>', 'now']],
    ['I LOVE it :) <3 :-(', ['i', 'love', 'it', ':)', '<3', ':-(']],
    ['soooo goooood!!!', ['soo', 'good', '!!']],
    ["don't #FailWhale 42%", ['dont', '#failwhale', '<num>']],
    ['what?! really...', ['what', '?!', 'really', '...']],
    ['😡😡 bad', ['😡', '😡', 'bad']],
  ])('%j', (text, expected) => {
    expect(norms(text)).toEqual(expected);
  });

  it('marks negation scope up to the next punctuation', () => {
    const tokens = tokenize("I don't like this app, but the support is good");
    const negated = tokens.filter((t) => t.negated).map((t) => t.norm);
    expect(negated).toEqual(['like', 'this', 'app']);
  });

  it('carries the hash of each norm and tells negators like isNegator', () => {
    const tokens = tokenize("Never say can't, nope #not not!! 😡 @x http://a.b 12");
    for (const t of tokens) {
      expect(t.hash).toBe(hashString(t.norm) | 0);
      expect(isNegatorToken(t)).toBe(t.kind === 'word' && isNegator(t.norm));
    }
    expect(tokens.filter(isNegatorToken).map((t) => t.norm)).toEqual(['never', 'cant', 'nope', 'not']);
  });

  it('flags elongated and shouted words', () => {
    const [hate, sooo] = tokenize('HATE sooooo');
    expect(hate).toMatchObject({ shouted: true, elongated: false });
    expect(sooo).toMatchObject({ shouted: false, elongated: true, norm: 'soo' });
  });
});

describe('extractFeatures', () => {
  const cfg = { bits: 16, wordNgrams: 3, charMin: 3, charMax: 5, negateChars: true };

  it('gives each feature an owner span inside the text and stays in the bucket range', () => {
    const tokens = tokenize('never using you again, worst support');
    const buf = createFeatureBuffer(8); // forces the buffer to grow
    const n = extractFeatures(tokens, cfg, buf);
    expect(n).toBeGreaterThan(tokens.length * 3);
    for (let f = 0; f < n; f++) {
      expect(buf.ids[f]).toBeGreaterThanOrEqual(0);
      expect(buf.ids[f]).toBeLessThan(1 << cfg.bits);
      if (buf.owner[f]! < 0) continue;
      expect(buf.owner[f]! + buf.span[f]!).toBeLessThanOrEqual(tokens.length);
    }
    const kinds = new Set(Array.from(buf.kind.subarray(0, n)));
    expect(kinds).toEqual(new Set([FEATURE_KIND.unigram, FEATURE_KIND.bigram, FEATURE_KIND.trigram, FEATURE_KIND.char, FEATURE_KIND.flag]));
  });

  it('hashes a negated word apart from the plain word', () => {
    const buf = createFeatureBuffer();
    const unigramOf = (text: string, index: number): number => {
      const n = extractFeatures(tokenize(text), cfg, buf);
      for (let f = 0; f < n; f++) if (buf.kind[f] === FEATURE_KIND.unigram && buf.owner[f] === index) return buf.ids[f]!;
      throw new Error('no unigram');
    };
    expect(unigramOf('good', 0)).not.toBe(unigramOf('not good', 1));
    expect(unigramOf('good', 0)).toBe(unigramOf('very good', 1));
  });
});
