/**
 * A read-only word → value table keyed by the FNV-1a hash the tokenizer already computed for each
 * token (Token.hash), so a lookup costs no string hashing and, for a word that is not in the
 * table, no string comparison either. Open addressing with linear probing; the hash and value of
 * a slot sit side by side, so a probe is one cache line.
 */
import { hashString } from './hash.js';

export class WordTable {
  private readonly mask: number;
  /** Per slot: [hash, value]; value 0 marks an empty slot. */
  private readonly slots: Int32Array;
  private readonly words: (string | undefined)[];

  /** `entries` maps words to non-zero values (0 means "absent" to get()). */
  constructor(entries: Iterable<readonly [string, number]>) {
    const list = [...entries];
    let size = 16;
    while (size < list.length * 2.5) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size * 2);
    this.words = new Array<string | undefined>(size).fill(undefined);
    for (const [word, value] of list) {
      if (value === 0) throw new Error(`WordTable: the value of "${word}" is 0, which means absent`);
      const hash = hashString(word) | 0;
      let slot = spread(hash) & this.mask;
      while (this.words[slot] !== undefined && this.words[slot] !== word) slot = (slot + 1) & this.mask;
      this.words[slot] = word;
      this.slots[slot * 2] = hash;
      this.slots[slot * 2 + 1] = value;
    }
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
