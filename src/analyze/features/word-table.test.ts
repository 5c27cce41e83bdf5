import { describe, expect, it } from 'vitest';
import { hashString } from './hash.js';
import { WordTable } from './word-table.js';

const lookup = (table: WordTable, word: string): number => table.get(word, hashString(word));

describe('WordTable', () => {
  it('finds every word it was built from and nothing else', () => {
    // Enough words that many share a first probe slot, so probing is exercised.
    const words = Array.from({ length: 3000 }, (_x, i) => `w${i.toString(36)}`);
    const table = new WordTable(words.length);
    words.forEach((w, i) => table.include(w, i + 1));
    words.forEach((w, i) => expect(lookup(table, w)).toBe(i + 1));
    for (const absent of ['', 'w', 'zz9', 'W0', 'w0 ', 'wzzzz']) expect(lookup(table, absent)).toBe(0);
  });

  it('takes signed or unsigned hashes alike', () => {
    const table = WordTable.of(['never'], 7);
    const h = hashString('never');
    expect(table.get('never', h)).toBe(7);
    expect(table.get('never', h | 0)).toBe(7);
  });

  it('does not trust the hash alone: a word with the same hash but other letters is absent', () => {
    const table = WordTable.of(['good'], 1);
    expect(table.get('goof', hashString('good'))).toBe(0);
  });

  it('ors the bits of a word included twice', () => {
    const table = WordTable.of(['und', 'the'], 1);
    table.include('und', 4);
    expect(lookup(table, 'und')).toBe(5);
    expect(lookup(table, 'the')).toBe(1);
  });

  it('refuses 0, which means absent, and more words than it was made for', () => {
    expect(() => WordTable.of(['x'], 0)).toThrow(/"x"/);
    const small = new WordTable(4);
    expect(() => Array.from({ length: 40 }, (_x, i) => small.include(`w${i}`, 1))).toThrow(/capacity/);
  });
});
