/**
 * A word → bit-set table keyed by the FNV-1a hash the tokenizer already computed for each token
 * (Token.hash), so a lookup costs no string hashing and, for a word that is not in the table, no
 * string comparison either. Open addressing with linear probing; the hash and value of a slot sit
 * side by side, so a probe is one cache line.
 */
import { hashString } from './hash.js';

export class WordTable {
  private readonly mask: number;
  /** Per slot: [hash, value]; value 0 marks an empty slot. */
  private readonly slots: Int32Array;
  private readonly words: (string | undefined)[];
  private count = 0;

  /** An empty table sized for about `capacity` words (it does not grow). */
  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2.5) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size * 2);
    this.words = new Array<string | undefined>(size).fill(undefined);
  }

  static of(words: Iterable<string>, bits: number): WordTable {
    const list = [...words];
    const table = new WordTable(list.length);
    for (const word of list) table.include(word, bits);
    return table;
  }

  /** Sets `bits` (non-zero) in the value of `word`, adding the word when absent. */
  include(word: string, bits: number): void {
    if (bits === 0) throw new Error(`WordTable: no bits to set for "${word}" (0 means absent)`);
    const hash = hashString(word) | 0;
    let slot = spread(hash) & this.mask;
    for (;;) {
      const stored = this.words[slot];
      if (stored === undefined) break;
      if (stored === word) {
        this.slots[slot * 2 + 1] = this.slots[slot * 2 + 1]! | bits;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
    if (4 * (this.count + 1) > 3 * (this.mask + 1)) throw new Error(`WordTable: more words than the capacity it was made for (${this.count})`);
    this.count++;
    this.words[slot] = word;
    this.slots[slot * 2] = hash;
    this.slots[slot * 2 + 1] = bits;
  }


  /** The value of `word`, whose hashString() is `hash`; 0 when absent. */
  get(word: string, hash: number): number {
    const h = hash | 0;
    const slots = this.slots;
    let slot = spread(h) & this.mask;
    for (;;) {
      const value = slots[slot * 2 + 1]!;
      if (value === 0) return 0;
      if (slots[slot * 2] === h && this.words[slot] === word) return value;
      slot = (slot + 1) & this.mask;
    }
  }
}

/** FNV-1a's low bits are its weakest: fold the high half in before masking. */
function spread(h: number): number {
  return Math.imul(h ^ (h >>> 16), 0x45d9f3b) ^ (h >>> 13);
}
