/**
 * Hashed sparse features over tokens, shared by training and analysis. Every feature is owned
 * by a contiguous run of tokens (a word, a bigram, a trigram), so a model's weights can be
 * attributed back to the words of the text for explanations and brand-vocabulary overrides.
 */
import { combineHash, finalizeHash, hashString } from './hash.js';
import type { Token } from './tokenize.js';

export interface FeatureConfig {
  /** log2 of the number of hash buckets. */
  bits: number;
  /** Longest word n-gram (1..3). */
  wordNgrams: number;
  /** Character n-gram lengths within a word ("<word>" padded); charMax 0 disables them. */
  charMin: number;
  charMax: number;
  /** Character n-grams of negated words live in their own space. */
  negateChars: boolean;
}

export interface FeatureBuffer {
  /** Bucket index of each feature. */
  ids: Int32Array;
  /** First token of the feature. */
  owner: Int32Array;
  /** Number of tokens the feature spans. */
  span: Uint8Array;
  n: number;
}

const SEED_UNI = hashString('w1');
const SEED_NEG = hashString('neg');
const SEED_BI = hashString('w2');
const SEED_TRI = hashString('w3');
const SEED_CHAR = hashString('c');
const SEED_CHAR_NEG = hashString('cneg');
const SEED_ELONG = hashString('elong');
const SEED_SHOUT = hashString('shout');
const SEED_BIAS = hashString('bias');

export function createFeatureBuffer(capacity = 4096): FeatureBuffer {
  return { ids: new Int32Array(capacity), owner: new Int32Array(capacity), span: new Uint8Array(capacity), n: 0 };
}

function grow(buf: FeatureBuffer): void {
  const size = buf.ids.length * 2;
  const ids = new Int32Array(size);
  const owner = new Int32Array(size);
  const span = new Uint8Array(size);
  ids.set(buf.ids);
  owner.set(buf.owner);
  span.set(buf.span);
  buf.ids = ids;
  buf.owner = owner;
  buf.span = span;
}

/** Fills `buf` with the features of `tokens`; returns the number of features. */
export function extractFeatures(tokens: readonly Token[], cfg: FeatureConfig, buf: FeatureBuffer): number {
  const mask = (1 << cfg.bits) - 1;
  buf.n = 0;
  const push = (h: number, owner: number, span: number): void => {
    if (buf.n === buf.ids.length) grow(buf);
    buf.ids[buf.n] = finalizeHash(h) & mask;
    buf.owner[buf.n] = owner;
    buf.span[buf.n] = span;
    buf.n++;
  };
  const hashes = new Array<number>(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const h = hashString(t.norm);
    hashes[i] = h;
    push(combineHash(t.negated ? SEED_NEG : SEED_UNI, h), i, 1);
    if (t.elongated) push(SEED_ELONG, i, 1);
    if (t.shouted) push(SEED_SHOUT, i, 1);
    if (cfg.charMax > 0 && (t.kind === 'word' || t.kind === 'hashtag')) {
      pushCharNgrams(t.norm, cfg, t.negated && cfg.negateChars ? SEED_CHAR_NEG : SEED_CHAR, i, push);
    }
    if (cfg.wordNgrams >= 2 && i >= 1) push(combineHash(combineHash(SEED_BI, hashes[i - 1]!), h), i - 1, 2);
    if (cfg.wordNgrams >= 3 && i >= 2) {
      push(combineHash(combineHash(combineHash(SEED_TRI, hashes[i - 2]!), hashes[i - 1]!), h), i - 2, 3);
    }
  }
  // A bias feature owned by no word keeps empty texts scoreable.
  push(SEED_BIAS, -1, 0);
  return buf.n;
}

function pushCharNgrams(
  word: string,
  cfg: FeatureConfig,
  seed: number,
  owner: number,
  push: (h: number, owner: number, span: number) => void,
): void {
  const padded = `<${word}>`;
  const len = padded.length;
  if (len > 24) return; // long runs (glued hashtags, garbage) add noise and cost
  for (let start = 0; start + cfg.charMin <= len; start++) {
    let h = seed;
    const end = Math.min(len, start + cfg.charMax);
    for (let j = start; j < end; j++) {
      h ^= padded.charCodeAt(j);
      h = Math.imul(h, 0x01000193) >>> 0;
      if (j - start + 1 >= cfg.charMin) push(h, owner, 1);
    }
  }
}
