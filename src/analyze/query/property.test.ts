import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QuerySyntaxError, compileQuery, prepareText } from './index.js';

// Pieces that exercise every branch of the lexer and parser far more often than random characters do;
// words are repeated so that a fair share of generated queries compile and match.
const WORDS = ['acme', 'Cloud', 'ai', 'x', 'x*', 'café', '東京', 'ไทย', '@acme', '#ai'];
const QUERY_PIECES = [
  ...WORDS, ...WORDS, ' ', ' ', ' ', ' ', ' ', ' ', ' OR ', ' OR ', 'AND', 'NOT ', '-', '-', '(', ')', '"',
  'and', 'or', '*', '  ', '@', '#', '’', '.', '\u00AD', '\u200B', '\n', '\t', '\uD83D', '🚀', 'ǅ', 'İ',
];
const TEXT_PIECES = [...WORDS.map((w) => w.replace('*', 'yz')), 'CAFE', 'AcmeCloud', ' ', ' ', ' ', '.', '-', '\n', '’s', '/'];
const chaosQuery = fc.array(fc.constantFrom(...QUERY_PIECES), { maxLength: 16 }).map((parts) => parts.join(''));
const word = fc.constantFrom(...WORDS);
const operand = fc.oneof(
  word,
  word,
  word.map((w) => `-${w}`),
  word.map((w) => `NOT ${w}`),
  fc.tuple(word, word).map(([a, b]) => `"${a} ${b}"`),
  fc.tuple(word, word).map(([a, b]) => `(${a} OR ${b})`),
  fc.tuple(word, word).map(([a, b]) => `-(${a} ${b})`),
);
const structuredQuery = fc
  .array(fc.tuple(operand, fc.constantFrom(' ', ' ', ' OR ', ' AND ')), { minLength: 1, maxLength: 5 })
  .map((pairs) => pairs.map(([term, sep]) => term + sep).join('').replace(/ (OR|AND) $/, '').trim());
const queryLike = fc.oneof(chaosQuery, structuredQuery, structuredQuery);
const textLike = fc.array(fc.constantFrom(...TEXT_PIECES), { maxLength: 30 }).map((parts) => parts.join(' '));
const anyString = fc.string({ unit: 'binary', maxLength: 60 });
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), textLike, textLike);

function compileOrSyntaxError(query: string): ReturnType<typeof compileQuery> | null {
  try {
    return compileQuery(query);
  } catch (err) {
    expect(err).toBeInstanceOf(QuerySyntaxError);
    const { offset, length } = err as QuerySyntaxError;
    expect(Number.isInteger(offset) && offset >= 0 && offset <= query.length).toBe(true);
    expect(Number.isInteger(length) && length >= 1).toBe(true);
    return null;
  }
}

describe('properties', () => {
  it('compileQuery throws nothing but QuerySyntaxError, with an offset inside the query', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, queryLike), (query) => {
        compileOrSyntaxError(query);
      }),
      { numRuns: 3000 },
    );
  });

  it('match never throws, returns null or terms of the query, and agrees with prepareText', () => {
    fc.assert(
      fc.property(queryLike, anyText, (query, text) => {
        const compiled = compileOrSyntaxError(query);
        if (compiled === null) return;
        const result = compiled.match(text);
        expect(compiled.match(prepareText(text))).toEqual(result);
        if (result === null) return;
        // A successful match always names at least one term, and only terms written in the query.
        expect(result.length).toBeGreaterThan(0);
        for (const term of result) expect(query).toContain(term);
        expect(new Set(result).size).toBe(result.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('OR, AND and - combine whole queries as boolean operators', () => {
    fc.assert(
      fc.property(structuredQuery, structuredQuery, textLike, (q1, q2, text) => {
        const a = compileOrSyntaxError(q1);
        const b = compileOrSyntaxError(q2);
        if (a === null || b === null) return;
        const ma = a.match(text);
        const mb = b.match(text);
        expect(compileQuery(`(${q1}) OR (${q2})`).match(text) !== null).toBe(ma !== null || mb !== null);
        expect(compileQuery(`(${q1}) (${q2})`).match(text) !== null).toBe(ma !== null && mb !== null);
        expect(compileQuery(`(${q1}) -(${q2})`).match(text) !== null).toBe(ma !== null && mb === null);
      }),
      { numRuns: 1000 },
    );
  });

  it('a single word always matches itself surrounded by punctuation', () => {
    const word = fc.stringMatching(/^[a-z][a-z0-9]{0,11}$/).filter((w) => !['and', 'or', 'not'].includes(w));
    fc.assert(
      fc.property(word, fc.constantFrom(' ', '.', ',', '(', ')', '-', '!', '\n'), (w, sep) => {
        expect(compileQuery(w).match(`x${sep}${w.toUpperCase()}${sep}y`)).toEqual([w]);
        expect(compileQuery(w).match(`x${w}y`)).toBeNull();
      }),
      { numRuns: 500 },
    );
  });
});
