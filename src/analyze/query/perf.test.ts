import { describe, expect, it } from 'vitest';
import { QuerySyntaxError, compileQuery, prepareText } from './index.js';

const SPEC_QUERY = '"acme cloud" OR acmecloud OR @acmecloud -jobs -"acme corp"';
// 300 characters, shaped like a real mention: handle, URL, punctuation, a match near the end.
const TEXT_300 = (
  'Is anyone else seeing errors today? Our deploys have been failing since 9am, the dashboard ' +
  'times out and support has not answered the ticket yet. Status page at https://status.example.io ' +
  'says all green, which is frustrating. cc @devops_team — we may need to move the staging cluster off Acme Cloud. Any tips?'
).slice(0, 300);

function perSecond(run: () => unknown, minMs = 150): number {
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 1000; i++) run();
    iterations += 1000;
    elapsed = performance.now() - start;
  }
  return Math.round((iterations / elapsed) * 1000);
}

function timeMs(run: () => unknown): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

function syntaxErrorOf(query: string): QuerySyntaxError {
  try {
    compileQuery(query);
  } catch (err) {
    if (err instanceof QuerySyntaxError) return err;
    throw err;
  }
  throw new Error('expected a QuerySyntaxError');
}

describe('throughput (printed, not asserted)', () => {
  it('matches a 300-character text against the SPEC example query', () => {
    expect(TEXT_300).toHaveLength(300);
    const query = compileQuery(SPEC_QUERY);
    const prepared = prepareText(TEXT_300);
    expect(query.match(prepared)).toEqual(['"acme cloud"']);
    const prepareRate = perSecond(() => prepareText(TEXT_300));
    const preparedRate = perSecond(() => query.match(prepared));
    const stringRate = perSecond(() => query.match(TEXT_300));
    console.log(
      `query throughput, 300-char text, SPEC query: match(prepared) ${preparedRate.toLocaleString('en')}/s, ` +
        `prepareText ${prepareRate.toLocaleString('en')}/s, match(string) ${stringRate.toLocaleString('en')}/s`,
    );
  });
});

describe('no pathological slowness', () => {
  const words = Array.from({ length: 500 }, (_, i) => `word${i}`);
  // ~100 KB: the 300-character text repeated, with a rare word at the very end.
  const bigText = `${TEXT_300} `.repeat(340) + 'finalword';

  it('a 500-term query against a 100 KB text', () => {
    expect(bigText.length).toBeGreaterThan(100_000);
    const orQuery = compileQuery(`${words.join(' OR ')} OR finalword`);
    const mixed = compileQuery(
      words.map((w, i) => (i % 3 === 0 ? `"${w} errors"` : i % 3 === 1 ? `${w}*` : w)).join(' OR ') + ' -nothing',
    );
    const prepared = prepareText(bigText);
    const elapsed = timeMs(() => {
      expect(orQuery.match(prepared)).toEqual(['finalword']);
      expect(mixed.match(prepared)).toBeNull();
      expect(orQuery.match(bigText)).toEqual(['finalword']);
    });
    console.log(`500-term queries on a 100 KB text (incl. one prepareText): ${elapsed.toFixed(1)} ms`);
    expect(elapsed).toBeLessThan(2000);
  });

  it('long phrases of common words against a text made of those words', () => {
    const text = `${'a '.repeat(499)}b `.repeat(100); // 50,000 tokens, "a" everywhere
    const prepared = prepareText(text);
    const rare = compileQuery(`"${'a '.repeat(300)}c"`);
    const dense = compileQuery(`"${'a '.repeat(499)}a"`);
    const elapsed = timeMs(() => {
      expect(rare.match(prepared)).toBeNull();
      expect(dense.match(prepared)).toBeNull();
    });
    console.log(`worst-case phrases on 50,000 tokens: ${elapsed.toFixed(1)} ms`);
    expect(elapsed).toBeLessThan(2000);
  });

  it('compiles a 10,000-term query quickly', () => {
    const query = Array.from({ length: 10_000 }, (_, i) => `w${i}`).join(' OR ');
    const elapsed = timeMs(() => expect(compileQuery(query).match('w9999')).toEqual(['w9999']));
    expect(elapsed).toBeLessThan(2000);
  });

  it('accepts 100 levels of parentheses and rejects 101 with a clear error', () => {
    const ok = compileQuery(`${'('.repeat(100)}acme${')'.repeat(100)}`);
    expect(ok.match('Acme!')).toEqual(['acme']);
    const err = syntaxErrorOf(`${'('.repeat(200)}acme${')'.repeat(200)}`);
    expect(err.message).toBe('too deeply nested: at most 100 levels of parentheses');
    expect(err.offset).toBe(100);
  });

  it('never overflows the stack on huge nesting or negation chains', () => {
    expect(syntaxErrorOf('('.repeat(100_000)).offset).toBe(100);
    expect(compileQuery(`${'NOT '.repeat(100_000)}acme`).match('acme')).toEqual(['acme']);
    expect(compileQuery(`x ${'-'.repeat(100_001)}acme`).match('x acme')).toBeNull();
  });
});
