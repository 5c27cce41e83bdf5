import { describe, expect, it } from 'vitest';
import { QuerySyntaxError, compileQuery } from './index.js';

function syntaxError(query: string): QuerySyntaxError {
  try {
    compileQuery(query);
  } catch (err) {
    if (err instanceof QuerySyntaxError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(query)} to be rejected`);
}

describe('QuerySyntaxError', () => {
  // [query, offset, length, message fragment]
  it.each<[string, number, number, string]>([
    ['', 0, 1, 'empty query'],
    ['   ', 0, 3, 'empty query'],
    ['"acme cloud', 0, 1, 'unterminated quote: add a closing "'],
    ['acme "cloud', 5, 1, 'unterminated quote: add a closing "'],
    ['"a" "b" "c', 8, 1, 'unterminated quote'],
    ['(acme OR cloud', 0, 1, 'unclosed (: add a closing )'],
    ['x ((acme) OR cloud', 2, 1, 'unclosed ('],
    ['acme OR cloud)', 13, 1, 'unmatched ): remove it or add an opening ('],
    ['(a) b) c', 5, 1, 'unmatched )'],
    [')', 0, 1, 'unmatched )'],
    ['OR acme', 0, 2, 'OR needs a term on its left'],
    ['acme OR', 5, 2, 'OR needs a term on its right'],
    ['acme OR OR cloud', 5, 2, 'OR needs a term on its right'],
    ['acme OR )', 5, 2, 'OR needs a term on its right'],
    ['(OR acme)', 1, 2, 'OR needs a term on its left'],
    ['AND acme', 0, 3, 'AND needs a term on its left'],
    ['acme AND', 5, 3, 'AND needs a term on its right'],
    ['acme AND OR cloud', 5, 3, 'AND needs a term on its right'],
    ['acme NOT', 5, 3, 'NOT needs a term after it'],
    ['NOT', 0, 3, 'NOT needs a term after it'],
    ['acme (NOT)', 6, 3, 'NOT needs a term after it'],
    ['acme NOT OR x', 5, 3, 'NOT needs a term after it'],
    ['""', 0, 2, 'empty phrase: put words between the quotes'],
    ['acme "  "', 5, 4, 'empty phrase'],
    ['acme "?!"', 5, 4, 'empty phrase'],
    ['()', 0, 2, 'empty parentheses'],
    ['acme ( )', 5, 3, 'empty parentheses'],
    ['acme -', 5, 1, 'lone -'],
    ['acme - jobs', 5, 1, 'lone -'],
    ['acme -)', 5, 1, '- needs a term right after it'],
    ['acme -OR x', 5, 1, '- needs a term right after it'],
    ['*', 0, 1, 'lone *'],
    ['acme * cloud', 5, 1, 'lone *'],
    ['acme **', 5, 2, 'lone *'],
    ['"acme cloud"*', 12, 1, 'lone *'],
    ['*acme', 0, 1, '* can only end a word'],
    ['ac*me', 2, 1, '* can only end a word'],
    ['acme**', 4, 1, '* can only end a word'],
    ['"acme *cloud"', 6, 1, '* can only end a word'],
    ['"acme* cloud"', 5, 1, '* can only end a word'],
    ['"*"', 1, 1, '* must directly follow a letter or digit'],
    ['acme.*', 5, 1, '* must directly follow a letter or digit'],
    ['@*', 1, 1, '* must directly follow a letter or digit'],
    ['&&', 0, 2, 'has no letters or digits'],
    ['acme || cloud', 5, 2, 'has no letters or digits'],
    ['@', 0, 1, 'has no letters or digits'],
    ['-jobs', 0, 5, 'the query can match by exclusions alone'],
    ['-jobs -"acme corp"', 0, 18, 'the query can match by exclusions alone'],
    ['NOT jobs', 0, 8, 'the query can match by exclusions alone'],
    ['-(acme cloud)', 0, 13, 'the query can match by exclusions alone'],
    ['acme OR -jobs', 8, 5, 'this OR alternative can match by exclusions alone'],
    ['acme OR (-jobs -hiring)', 8, 15, 'this OR alternative can match by exclusions alone'],
    ['-(acme -jobs)', 0, 13, 'the query can match by exclusions alone'],
    ['x OR -(acme -jobs)', 5, 13, 'this OR alternative can match by exclusions alone'],
  ])('%j -> offset %d, length %d: %s', (query, offset, length, message) => {
    const err = syntaxError(query);
    expect(err.name).toBe('QuerySyntaxError');
    expect(err.message).toContain(message);
    expect({ offset: err.offset, length: err.length }).toEqual({ offset, length });
  });

  it('uses the exact message for an unterminated quote', () => {
    expect(syntaxError('acme "cloud').message).toBe('unterminated quote: add a closing "');
  });

  it.each([
    'acme',
    'acme -jobs',
    'x OR (y -z)',
    'NOT NOT acme',
    '"acme clo*"',
    '"acme clo* "',
    'acme*',
    '@acme #acme',
    'a-b',
    'and OR or',
    '-jobs acme',
  ])('accepts %j', (query) => {
    expect(compileQuery(query).source).toBe(query);
  });
});
