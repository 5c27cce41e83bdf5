import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgQuery, postgresAvailability, startTestPostgres, withSkipReason, type TestPostgres } from '../../../test/helpers/postgres.js';
import { QuerySyntaxError, compileQuery } from './index.js';
import { searchDocument, toTsquery } from './tsquery.js';

describe('tsquery and tsvector literals', () => {
  it.each([
    ['acme', "'acme'"],
    ['"acme cloud" OR acmecloud OR @acmecloud -jobs -"acme corp"', "((('acme' <-> 'cloud') | 'acmecloud' | '@acmecloud') & !'jobs' & !('acme' <-> 'corp'))"],
    ['refund*', "'refund':*"],
    ['"acme clo*"', "('acme' <-> 'clo':*)"],
    ['#Outage Café', "('#outage' & 'cafe')"],
    ['AI-powered', "('ai' <-> 'powered')"],
    ["it's", "('it' <-> 's')"],
  ])('%s -> %s', (query, expected) => {
    expect(toTsquery(query)).toBe(expected);
  });

  it('throws the query language errors', () => {
    expect(() => toTsquery('-jobs')).toThrow(QuerySyntaxError);
    expect(() => toTsquery('"unclosed')).toThrow(QuerySyntaxError);
  });

  it('writes each token at its position, handles and hashtags also in their own form', () => {
    expect(searchDocument('Acme', "@AcmeCloud is #down, acme's fault")).toBe(
      "'acme':1,5 'acmecloud':2 '@acmecloud':2 'is':3 'down':4 '#down':4 's':6 'fault':7",
    );
    expect(searchDocument('', "quote ' and back\\slash")).toBe("'quote':1 'and':2 'back':3 'slash':4");
  });

  it('leaves out words too long for PostgreSQL and clamps positions', () => {
    const blob = 'a'.repeat(2500);
    expect(searchDocument('', `x ${blob} y`)).toBe("'x':1 'y':3");
    const long = Array.from({ length: 17_000 }, (_, i) => (i === 16_999 ? 'last' : 'w')).join(' ');
    expect(searchDocument('', long)).toMatch(/'last':16383$/);
  });
});

const availability = postgresAvailability();

// Pieces that make queries compile and match often; the same spirit as property.test.ts.
const WORDS = ['acme', 'Cloud', 'ai', 'x', 'café', '東京', 'ไทย', '@acme', '#ai', 'fire_alarm', 'e-bike', 'straße'];
const TEXT_PIECES = [...WORDS, 'CAFE', 'AcmeCloud', 'acmes', 'Strasse', ' ', ' ', ' ', '.', '-', '\n', '’s', '/', 'ops@acme.com', '#Acme', '@AI'];
const word = fc.constantFrom(...WORDS, 'acm*', 'clo*', 'e*');
const operand = fc.oneof(
  word,
  word,
  word.map((w) => `-${w}`),
  fc.tuple(word, word).map(([a, b]) => `"${a} ${b}"`),
  fc.tuple(word, word).map(([a, b]) => `(${a} OR ${b})`),
  fc.tuple(word, word).map(([a, b]) => `-(${a} ${b})`),
);
const query = fc
  .array(fc.tuple(operand, fc.constantFrom(' ', ' ', ' OR ', ' AND ')), { minLength: 1, maxLength: 4 })
  .map((pairs) => pairs.map(([term, sep]) => term + sep).join('').replace(/ (OR|AND) $/, '').trim());
const text = fc.array(fc.constantFrom(...TEXT_PIECES), { maxLength: 25 }).map((parts) => parts.join(' '));

describe.skipIf(!availability.ok)(withSkipReason('tsquery on PostgreSQL agrees with the matcher', availability), () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await startTestPostgres();
  }, 120_000);
  afterAll(() => pg?.stop(), 60_000);

  /** PostgreSQL's verdict for many (title, text, query) cases in one round trip. */
  async function verdicts(cases: ReadonlyArray<{ title: string; text: string; tsquery: string }>): Promise<boolean[]> {
    const rows = await pgQuery<{ i: number; hit: boolean }>(
      pg.url,
      `SELECT c.ord::int AS i, (c.doc::tsvector @@ c.q::tsquery) AS hit
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS c(doc, q, ord) ORDER BY c.ord`,
      [cases.map((c) => searchDocument(c.title, c.text)), cases.map((c) => c.tsquery)],
    );
    return rows.map((r) => r.hit);
  }

  it('on the README examples', async () => {
    const examples: Array<[string, string]> = [
      ['acme', "Acme's new app"], ['acme', 'ACME-powered'], ['acme', '#acme'], ['acme', 'acme.com'], ['acme', 'acmes'],
      ['"acme cloud"', 'acme-cloud'], ['"acme cloud"', 'acme big cloud'], ['refund*', 'Refunded'], ['refund*', 'prerefund'],
      ['"acme clo*"', 'Acme Cloudy'], ['@acmecloud', 'mastodon.social/@acmecloud'], ['@acmecloud', 'ops@acmecloud.com'],
      ['@acmecloud', 'acmecloud'], ['#outage', '#Outage'], ['#outage', 'status#outage'], ['acme -jobs', 'acme jobs'],
      ['acme -(jobs OR hiring)', 'acme is hiring'], ['acme (down OR outage)', 'acme is down'], ['strasse', 'Straße'],
      ['東京', '東京タワー'], ['fire_alarm', 'the fire_alarm rang'], ['fire', 'the fire_alarm rang'],
    ];
    const cases = examples.map(([q, t]) => ({ title: '', text: t, tsquery: toTsquery(q) }));
    const expected = examples.map(([q, t]) => compileQuery(q).match(t) !== null);
    expect(await verdicts(cases)).toEqual(expected);
  });

  it('on generated queries and texts', async () => {
    const samples = fc.sample(fc.tuple(query, text, text), { numRuns: 3000, seed: 14 });
    const cases: Array<{ title: string; text: string; tsquery: string; expected: boolean; q: string }> = [];
    for (const [q, title, body] of samples) {
      let compiled;
      try {
        compiled = compileQuery(q);
      } catch {
        continue; // not a valid query: nothing to compare
      }
      cases.push({ title, text: body, tsquery: toTsquery(q), expected: compiled.match(`${title}\n${body}`) !== null, q });
    }
    expect(cases.length).toBeGreaterThan(1000);
    expect(cases.filter((c) => c.expected).length).toBeGreaterThan(100);
    const hits = await verdicts(cases);
    const disagreements = cases.filter((c, i) => hits[i] !== c.expected).map((c) => ({ q: c.q, title: c.title, text: c.text, matcher: c.expected }));
    expect(disagreements.slice(0, 5)).toEqual([]);
  });
});
