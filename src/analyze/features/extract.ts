/**
 * Hashed sparse features over tokens, shared by training and analysis. Every feature is owned
 * by a contiguous run of tokens (a word, a bigram, a trigram), so a model's weights can be
 * attributed back to the words of the text for explanations and brand-vocabulary overrides.
 */
import { combineHash, hashString } from './hash.js';
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
  /** FEATURE_KIND of each feature. */
  kind: Uint8Array;
  n: number;
}

/** Feature kinds (training tools and tests tell word n-grams from character n-grams with them). */
export const FEATURE_KIND = { unigram: 0, bigram: 1, trigram: 2, char: 3, flag: 4 } as const;

/**
 * Bucket of a 32-bit hash: one multiply between xorshifts, then the low bits, so a model with
 * fewer bits can use `id & its mask` on ids extracted for a larger one.
 */
function bucket(h: number, mask: number): number {
  const x = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (x ^ (x >>> 16)) & mask;
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
  return {
    ids: new Int32Array(capacity),
    owner: new Int32Array(capacity),
    span: new Uint8Array(capacity),
    kind: new Uint8Array(capacity),
    n: 0,
  };
}

function ensureCapacity(buf: FeatureBuffer, size: number): void {
  if (buf.ids.length >= size) return;
  let capacity = buf.ids.length;
  while (capacity < size) capacity *= 2;
  buf.ids = new Int32Array(capacity);
  buf.owner = new Int32Array(capacity);
  buf.span = new Uint8Array(capacity);
  buf.kind = new Uint8Array(capacity);
}

const MAX_CHAR_WORD = 22;
const FNV_PRIME = 0x01000193;
let hashScratch = new Uint32Array(256);
/** Character codes of "<word>" for the character n-gram loop. */
const codes = new Int32Array(MAX_CHAR_WORD + 2);

/** Fills `buf` with the features of `tokens`; returns the number of features. */
export function extractFeatures(tokens: readonly Token[], cfg: FeatureConfig, buf: FeatureBuffer): number {
  const mask = (1 << cfg.bits) - 1;
  const count = tokens.length;
  const useChars = cfg.charMax > 0;
  const charMin = cfg.charMin;
  const charMax = cfg.charMax;
  // Upper bound of the features this text can produce, so the loop below never checks.
  let bound = 1;
  for (const t of tokens) bound += 5 + (useChars ? 3 * (t.norm.length + 2) : 0);
  ensureCapacity(buf, bound);
  if (hashScratch.length < count) hashScratch = new Uint32Array(count * 2);
  const hashes = hashScratch;
  const ids = buf.ids;
  const owners = buf.owner;
  const spans = buf.span;
  const kinds = buf.kind;
  let n = 0;
  for (let i = 0; i < count; i++) {
    const t = tokens[i]!;
    const h = t.hash;
    hashes[i] = h;
    ids[n] = bucket(combineHash(t.negated ? SEED_NEG : SEED_UNI, h), mask);
    owners[n] = i;
    spans[n] = 1;
    kinds[n++] = FEATURE_KIND.unigram;
    if (t.elongated) {
      ids[n] = bucket(SEED_ELONG, mask);
      owners[n] = i;
      spans[n] = 1;
      kinds[n++] = FEATURE_KIND.flag;
    }
    if (t.shouted) {
      ids[n] = bucket(SEED_SHOUT, mask);
      owners[n] = i;
      spans[n] = 1;
      kinds[n++] = FEATURE_KIND.flag;
    }
    if (useChars && (t.kind === 'word' || t.kind === 'hashtag') && t.norm.length <= MAX_CHAR_WORD) {
      // Character n-grams of "<word>", hashed incrementally (FNV-1a, as hashString) without
      // building the padded string.
      const word = t.norm;
      const len = word.length + 2;
      codes[0] = 60; // <
      for (let k = 0; k < word.length; k++) codes[k + 1] = word.charCodeAt(k);
      codes[len - 1] = 62; // >
      const seed = (t.negated && cfg.negateChars ? SEED_CHAR_NEG : SEED_CHAR) | 0;
      for (let start = 0; start + charMin <= len; start++) {
        let g = seed;
        let j = start;
        for (const first = start + charMin - 1; j < first; j++) g = Math.imul(g ^ codes[j]!, FNV_PRIME);
        for (const end = Math.min(len, start + charMax); j < end; j++) {
          g = Math.imul(g ^ codes[j]!, FNV_PRIME);
          ids[n] = bucket(g, mask);
          owners[n] = i;
          spans[n] = 1;
          kinds[n++] = FEATURE_KIND.char;
        }
      }
    }
    if (cfg.wordNgrams >= 2 && i >= 1) {
      ids[n] = bucket(combineHash(combineHash(SEED_BI, hashes[i - 1]!), h), mask);
      owners[n] = i - 1;
      spans[n] = 2;
      kinds[n++] = FEATURE_KIND.bigram;
    }
    if (cfg.wordNgrams >= 3 && i >= 2) {
      ids[n] = bucket(combineHash(combineHash(combineHash(SEED_TRI, hashes[i - 2]!), hashes[i - 1]!), h), mask);
      owners[n] = i - 2;
      spans[n] = 3;
      kinds[n++] = FEATURE_KIND.trigram;
    }
  }
  // A bias feature owned by no word keeps empty texts scoreable.
  ids[n] = bucket(SEED_BIAS, mask);
  owners[n] = -1;
  spans[n] = 0;
  kinds[n++] = FEATURE_KIND.flag;
  buf.n = n;
  return n;
}
