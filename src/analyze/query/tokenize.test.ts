import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeText } from './normalize.js';
import { HANDLE, HASHTAG, PLAIN, tokenizeNormalized, type Tokens } from './tokenize.js';

// A deliberately simple regex tokenizer with the documented rules, to check the fast scanner against.
function referenceTokenize(text: string): Tokens {
  const words: string[] = [];
  const kinds: number[] = [];
  for (const m of text.matchAll(/(?<![\p{L}\p{N}\p{M}_])([@#])?([\p{L}\p{N}\p{M}_]+)/gu)) {
    let kind = m[1] === '@' ? HANDLE : m[1] === '#' ? HASHTAG : PLAIN;
    const parts = (m[2] ?? '').split(/([\p{scx=Han}\p{scx=Hira}\p{scx=Kana}\p{scx=Hang}\p{scx=Thai}\p{scx=Laoo}\p{scx=Khmr}\p{scx=Mymr}])/u);
    for (const part of parts) {
      if (part === '') continue;
      words.push(part);
      kinds.push(kind);
      kind = PLAIN;
    }
  }
  return { words, kinds };
}

function tokens(text: string): string[] {
  const { words, kinds } = tokenizeNormalized(normalizeText(text));
  return words.map((w, i) => (kinds[i] === HANDLE ? '@' : kinds[i] === HASHTAG ? '#' : '') + w);
}

describe('tokenizer', () => {
  it.each<[string, string[]]>([
    ['Acme-Cloud, (AI) #AI @acme.', ['acme', 'cloud', 'ai', '#ai', '@acme']],
    ['support@acmecloud.com/status#pricing', ['support', 'acmecloud', 'com', 'status', 'pricing']],
    ['https://mastodon.social/@acme', ['https', 'mastodon', 'social', '@acme']],
    ['@@acme ##tag @ # @-x', ['@acme', '#tag', 'x']],
    ['Acme’s o’Reilly', ['acme', 's', 'o', 'reilly']],
    ['snake_case v2.0 1,000', ['snake_case', 'v2', '0', '1', '000']],
    ['Café NAÏVE Ærø', ['cafe', 'naive', 'aero']],
    ['東京タワー', ['東', '京', 'タ', 'ワ', 'ー']],
    ['#東京 iPhone用ケース', ['#東', '京', 'iphone', '用', 'ケ', 'ー', 'ス']],
    ['emoji 🚀 rocket', ['emoji', 'rocket']],
    ['𝐀𝐂𝐌𝐄 bold math', ['acme', 'bold', 'math']],
    ['', []],
  ])('%j -> %j', (text, expected) => {
    expect(tokens(text)).toEqual(expected);
  });

  it('agrees with the reference regex tokenizer on arbitrary text', () => {
    const pieces = fc.constantFrom('a', 'Z', '@', '#', ' ', '.', '_', '東', 'ไ', 'é', '\u0301', '🚀', '\uD83D', '’', '9', 'ー');
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.array(pieces, { maxLength: 40 }).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(text, (raw) => {
        const normalized = normalizeText(raw);
        expect(tokenizeNormalized(normalized)).toEqual(referenceTokenize(normalized));
      }),
      { numRuns: 2000 },
    );
  });
});
