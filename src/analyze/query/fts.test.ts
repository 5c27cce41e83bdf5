import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { planMentionSearch, toFts5, translateQuery, type SearchDialect } from './fts.js';
import { QuerySyntaxError, compileQuery } from './index.js';

describe('toFts5', () => {
  it.each([
    ['e-bike', '("e bike" OR (title : "e" AND text : ^ "bike"))'],
    ['battery -fire', '"battery"'],
    ['refund:', '"refund"'],
    ['refund OR chargeback', '("refund" OR "chargeback")'],
    ['acme (down OR outage)', '("acme" AND ("down" OR "outage"))'],
    ['"acme cloud" OR acmecloud OR @acmecloud -jobs -"acme corp"', '(("acme cloud" OR (title : "acme" AND text : ^ "cloud")) OR "acmecloud" OR "acmecloud")'],
    ['refund*', '"refund"*'],
    ['"acme clo*"', '("acme clo"* OR (title : "acme" AND text : ^ "clo"*))'],
    ['#Outage', '"outage"'],
    ['Café', '"cafe"'],
    ['acmecloud.com/status', '("acmecloud com status" OR (title : "acmecloud" AND text : ^ "com status") OR (title : "acmecloud com" AND text : ^ "status"))'],
    ['ai_tools', '"ai_tools"'],
    ['NEAR title:x', '("near" AND ("title x" OR (title : "title" AND text : ^ "x")))'],
    ['acme NOT (jobs OR hiring)', '"acme"'],
    ['acme OR NOT (jobs OR hiring) cloud', '"cloud"'],
    ['東京', null],
    ['acme 東京', '"acme"'],
    ['acme OR 東京', null],
  ])('%s -> %s', (query, expected) => {
    expect(toFts5(query)).toBe(expected);
  });

  it.each([
    ['refund OR "broken', 'unterminated quote', 10],
    ['(acme', 'unclosed (', 0],
    ['-jobs', 'exclusions alone', 0],
    ['', 'empty query', 0],
    ['acme &&', 'no letters or digits', 5],
  ])('rejects %j like compileQuery: %s at %d', (query, message, offset) => {
    let caught: unknown;
    try {
      toFts5(query);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(QuerySyntaxError);
    expect((caught as QuerySyntaxError).message).toContain(message);
    expect((caught as QuerySyntaxError).offset).toBe(offset);
  });

  it('lets another index write the same walk (a tsquery-like dialect)', () => {
    const tsquery: SearchDialect = {
      term: (t) => (t.words.length > 1 ? `(${t.words.join(' <-> ')})` : t.words[0]!) + (t.prefix ? ':*' : ''),
      and: (parts) => `(${parts.join(' & ')})`,
      or: (parts) => `(${parts.join(' | ')})`,
    };
    expect(translateQuery('"acme cloud" OR refund* -jobs', tsquery).expression).toBe('((acme <-> cloud) | refund:*)');
  });
});

/**
 * The contract that makes search exact: on texts the FTS5 index tokenizes like the matcher does,
 * every mention the query matches is among the FTS5 candidates, and the plan accepts exactly the
 * matching ones. Checked against a real FTS5 table built like the mentions index.
 */
describe('FTS5 candidates are a superset of the matches', () => {
  const db = new Database(':memory:');
  afterAll(() => db.close());
  db.exec("CREATE VIRTUAL TABLE t USING fts5 (title, text, tokenize = 'unicode61 remove_diacritics 2')");
  const insert = db.prepare('INSERT INTO t (rowid, title, text) VALUES (?, ?, ?)');
  const search = db.prepare('SELECT rowid AS id FROM t WHERE t MATCH ?').pluck();

  const WORDS = ['acme', 'Cloud', 'ai', 'refund', 'refunded', 'jobs', 'café', 'CAFE', 'e', 'bike', 'or', 'near', 'x'];
  const SEPARATORS = [' ', ' ', ' ', '-', '.', '/', "'s ", '’', ', ', '\n', ' @', ' #', '_', ':'];
  const textArb = fc
    .array(fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(...SEPARATORS)), { maxLength: 12 })
    .map((parts) => parts.map(([w, s]) => w + s).join(''));
  const word = fc.constantFrom(...WORDS, 'refund*', 're*', '@acme', '#ai', 'e-bike', 'ai_x', 'acme.cloud');
  const operand = fc.oneof(
    word,
    word,
    word.map((w) => `-${w}`),
    fc.tuple(word, word).map(([a, b]) => `"${a} ${b}"`.replace('*"', '"')),
    fc.tuple(word, word).map(([a, b]) => `(${a} OR ${b})`),
    fc.tuple(word, word).map(([a, b]) => `-(${a} ${b})`),
    fc.tuple(word, word).map(([a, b]) => `NOT (${a} OR ${b})`),
  );
  const queryArb = fc
    .array(fc.tuple(operand, fc.constantFrom(' ', ' ', ' OR ', ' AND ')), { minLength: 1, maxLength: 4 })
    .map((pairs) => pairs.map(([t, sep]) => t + sep).join('').replace(/ (OR|AND) $/, '').trim());

  it('holds for generated queries and texts', () => {
    fc.assert(
      fc.property(queryArb, fc.array(fc.tuple(textArb, textArb), { minLength: 1, maxLength: 8 }), (query, docs) => {
        let plan;
        try {
          plan = planMentionSearch(query);
        } catch (err) {
          expect(err).toBeInstanceOf(QuerySyntaxError);
          return;
        }
        db.exec('DELETE FROM t');
        docs.forEach(([title, text], i) => insert.run(i + 1, title, text));
        const candidates = new Set(plan.fts5 === null ? docs.map((_, i) => i + 1) : (search.all(plan.fts5) as number[]));
        const matcher = compileQuery(query);
        docs.forEach(([title, text], i) => {
          const matches = matcher.match(`${title}\n${text}`) !== null;
          if (matches) expect(candidates.has(i + 1), `${plan.fts5} should find ${JSON.stringify([title, text])}`).toBe(true);
          expect(plan.accepts(title, text)).toBe(matches);
        });
      }),
      { numRuns: 1500 },
    );
  });
});
