/**
 * Sentiment from the trained hashed linear model (models/sentiment.bin): label, score and the
 * words behind them.
 *
 * score = P(positive) - P(negative) after the model's class offsets, so it lies in [-1, 1] and
 * its sign agrees with the label. Reasons: each feature's weight is shared among the words it
 * spans (a word, its character n-grams, the bigrams and trigrams it is part of); runs of adjacent
 * words pulling the same way become one phrase, e.g. `"never using you again" (-0.81)`, where the
 * number is tanh of the phrase's pull in logits (positive minus negative).
 *
 * A brand's vocabulary replaces what the model learned about a word: every feature touching
 * that word is left out and the word adds `|weight| * VOCABULARY_LOGITS` to the positive (weight > 0)
 * or negative (weight < 0) logit instead; weight 0 makes it neutral.
 */
import type { Sentiment, SentimentLabel } from '../../core/types.js';
import { createFeatureBuffer, extractFeatures, type FeatureBuffer, type FeatureConfig } from '../features/extract.js';
import { isNegatorToken, type Token } from '../features/tokenize.js';
import { scoreSentimentAndHeads, type HeadsModel } from '../heads/model.js';
import {
  createScratch,
  scoreFeatures,
  scoreFeaturesPair,
  softmax,
  tokenPulls,
  type CompanionModel,
  type LinearModel,
  type ScoreScratch,
} from './linear-model.js';

/** Logit pull of a vocabulary word with weight 1 (about what the model gives "love" or "worst"). */
export const VOCABULARY_LOGITS = 4;
/** A phrase must pull at least this much (logits) to be named as a reason. */
const REASON_MIN = 0.15;
/** Words pulling less than this do not extend a phrase. */
const WORD_MIN = 0.04;
const MAX_REASONS = 4;

const NEG = 0;
const POS = 2;
const PULL = { up: POS, down: NEG };
const LABELS: readonly SentimentLabel[] = ['negative', 'neutral', 'positive'];

export interface VocabularyEntry {
  /** Lower-cased words of the entry ("sick", or "dead pixel" as two words). */
  words: string[];
  weight: number;
}

/** Normalises a brand vocabulary into matchable entries. */
export function compileVocabulary(vocabulary: Record<string, number> | undefined): VocabularyEntry[] {
  if (!vocabulary) return [];
  const entries: VocabularyEntry[] = [];
  for (const [phrase, weight] of Object.entries(vocabulary)) {
    const words = phrase
      .toLowerCase()
      .replace(/['’]/g, '')
      .split(/\s+/)
      .filter((w) => w.length > 0);
    if (words.length === 0 || !Number.isFinite(weight)) continue;
    entries.push({ words, weight: Math.max(-1, Math.min(1, weight)) });
  }
  return entries;
}

export class SentimentModel {
  private readonly model: LinearModel;
  private readonly buf: FeatureBuffer = createFeatureBuffer();
  private scratch: ScoreScratch;
  private skip = new Uint8Array(256);
  private vocabPull = new Float64Array(256);

  constructor(model: LinearModel) {
    if (model.classes !== 3) throw new Error(`sentiment model must have 3 classes, has ${model.classes}`);
    this.model = model;
    this.scratch = createScratch(3);
  }

  get header(): LinearModel['header'] {
    return this.model.header;
  }

  /** The feature settings this model was trained with. */
  get features(): FeatureConfig {
    return this.model.header.features;
  }

  /**
   * Scores `tokens`; `features` may hold their features already extracted with this model's
   * settings (the complaint model shares them). A `companion` model (the complaint model) is
   * scored over the same features, in the same pass when possible, leaving its logits in its
   * scratch.
   */
  score(tokens: readonly Token[], vocabulary: readonly VocabularyEntry[], features?: FeatureBuffer, companion?: CompanionModel): Sentiment {
    const buf = features ?? this.buf;
    if (features === undefined) extractFeatures(tokens, this.model.header.features, buf);
    const n = tokens.length;
    const hasVocabulary = vocabulary.length > 0 && this.markVocabulary(tokens, vocabulary);
    // Word-level pulls are needed for reasons (non-neutral results only) and vocabulary; the
    // plain logits come from a faster loop, and the pulls from a second pass when needed.
    if (hasVocabulary || companion === undefined) {
      scoreFeatures(this.model, buf, n, this.scratch, hasVocabulary ? this.skip : null, hasVocabulary ? PULL : null);
      if (companion !== undefined) scoreFeatures(companion.model, buf, n, companion.scratch, null, null);
    } else {
      scoreFeaturesPair(this.model, this.scratch, companion.model, companion.scratch, buf);
    }
    if (hasVocabulary) this.addVocabulary(n);
    const { logits } = this.scratch;
    const best = softmax(logits);
    const label = LABELS[best]!;
    const score = clamp(logits[POS]! - logits[NEG]!);
    if (label === 'neutral') return { label, score: round3(score), reasons: [] };
    const reasons = this.explain(tokens, buf, label === 'positive' ? 1 : -1, hasVocabulary, null);
    return { label, score: round3(score), reasons };
  }

  /**
   * The general logits (negative, neutral, positive; class offsets and brand vocabulary
   * included) of `tokens`, whose features are in `buf`. When no vocabulary word matched, `heads`
   * is scored in the same pass over the features. Returns whether vocabulary matched (then the
   * word pulls are already computed; pass it to explain()). The array is reused per call.
   */
  logits(tokens: readonly Token[], vocabulary: readonly VocabularyEntry[], buf: FeatureBuffer, heads: HeadsModel | null): { logits: Float64Array; hasVocabulary: boolean } {
    const n = tokens.length;
    const hasVocabulary = vocabulary.length > 0 && this.markVocabulary(tokens, vocabulary);
    if (hasVocabulary) {
      scoreFeatures(this.model, buf, n, this.scratch, this.skip, PULL);
      this.addVocabulary(n);
      heads?.score(buf);
    } else if (heads !== null) {
      scoreSentimentAndHeads(this.model, this.scratch.logits, heads, buf);
    } else {
      scoreFeatures(this.model, buf, n, this.scratch, null, null);
    }
    return { logits: this.scratch.logits, hasVocabulary };
  }

  /**
   * Reasons for a result pulling towards `sign` (+1 positive, -1 negative): phrases of the
   * general model's word pulls, plus `extra` per-token pulls (logits, positive minus negative)
   * from models layered on top.
   */
  explain(tokens: readonly Token[], buf: FeatureBuffer, sign: 1 | -1, hasVocabulary: boolean, extra: Float64Array | null): string[] {
    const n = tokens.length;
    if (this.scratch.pull.length < n) this.scratch.pull = new Float64Array(n * 2);
    const pulls = this.scratch.pull;
    if (!hasVocabulary) tokenPulls(this.model, buf, n, POS, NEG, pulls);
    if (extra !== null) for (let t = 0; t < n; t++) pulls[t] = pulls[t]! + extra[t]!;
    return this.reasons(tokens, sign, hasVocabulary);
  }

  private addVocabulary(n: number): void {
    const { logits } = this.scratch;
    if (this.scratch.pull.length < n) this.scratch.pull = new Float64Array(n * 2);
    const pulls = this.scratch.pull;
    for (let t = 0; t < n; t++) {
      const pull = this.vocabPull[t]!;
      if (pull === 0) continue;
      // Praise raises the positive logit, criticism the negative one; 0 adds nothing.
      const cls = pull > 0 ? POS : NEG;
      logits[cls] = logits[cls]! + Math.abs(pull);
      pulls[t] = pulls[t]! + pull;
    }
  }

  /** Marks tokens covered by vocabulary entries; returns whether any matched. */
  private markVocabulary(tokens: readonly Token[], vocabulary: readonly VocabularyEntry[]): boolean {
    const n = tokens.length;
    if (this.skip.length < n) {
      this.skip = new Uint8Array(n * 2);
      this.vocabPull = new Float64Array(n * 2);
    }
    this.skip.fill(0, 0, n);
    this.vocabPull.fill(0, 0, n);
    let any = false;
    for (const entry of vocabulary) {
      const len = entry.words.length;
      for (let i = 0; i + len <= n; i++) {
        let match = true;
        for (let k = 0; k < len && match; k++) match = tokens[i + k]!.norm === entry.words[k];
        if (!match) continue;
        any = true;
        for (let k = 0; k < len; k++) this.skip[i + k] = 1;
        // A negated vocabulary word flips ("not sick").
        const sign = tokens[i]!.negated ? -1 : 1;
        this.vocabPull[i] = sign * entry.weight * VOCABULARY_LOGITS;
      }
    }
    return any;
  }

  private reasons(tokens: readonly Token[], sign: 1 | -1, hasVocabulary: boolean): string[] {
    const pulls = this.scratch.pull;
    // Phrases as [from, to, pull] triples; strings are built only for the ones shown.
    const found: number[] = [];
    let from = -1;
    let to = -1;
    let phrasePull = 0;
    const flush = (): void => {
      if (from >= 0 && Math.abs(phrasePull) >= REASON_MIN) found.push(from, to, phrasePull);
      from = -1;
      phrasePull = 0;
    };
    let t = 0;
    while (t < tokens.length) {
      // A negator and the words it negates are one unit ("never using you again").
      let end = t + 1;
      const token = tokens[t]!;
      if (isNegatorToken(token)) {
        while (end < tokens.length && tokens[end]!.negated) end++;
      }
      let pull = 0;
      for (let k = t; k < end; k++) pull += pulls[k]!;
      if (pull * sign >= WORD_MIN && token.kind !== 'punct' && token.kind !== 'mention') {
        if (from < 0) from = t;
        to = end;
        phrasePull += pull;
      } else {
        flush();
      }
      t = end;
    }
    flush();
    const order: number[] = [];
    for (let k = 0; k < found.length; k += 3) order.push(k);
    order.sort((a, b) => Math.abs(found[b + 2]!) - Math.abs(found[a + 2]!));
    const out: string[] = [];
    for (const k of order.slice(0, MAX_REASONS)) out.push(this.describe(tokens, found[k]!, found[k + 1]!, found[k + 2]!, hasVocabulary));
    if (out.length === 0) out.push('overall tone: no single word stands out');
    return out;
  }

  private describe(tokens: readonly Token[], from: number, to: number, pull: number, hasVocabulary: boolean): string {
    let text = tokens[from]!.raw;
    let vocabulary = hasVocabulary && this.skip[from] === 1;
    let negation = tokens[from]!.negated;
    for (let t = from + 1; t < to; t++) {
      text += ` ${tokens[t]!.raw}`;
      if (hasVocabulary && this.skip[t] === 1) vocabulary = true;
      if (tokens[t]!.negated) negation = true;
    }
    const value = Math.tanh(pull);
    const shown = `(${value >= 0 ? '+' : ''}${value.toFixed(2)})`;
    if (vocabulary) return `brand vocabulary: "${text}" ${shown}`;
    return negation ? `negation: "${text}" ${shown}` : `"${text}" ${shown}`;
  }
}

function clamp(x: number): number {
  return Math.max(-1, Math.min(1, x));
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * The strongest run of adjacent tokens whose pulls go the `sign` way (at most `maxWords`
 * tokens, cut around its strongest token), as written: for quoting the words behind a
 * decision ("where is my refund"). Null when no token pulls that way.
 */
export function strongestPhrase(tokens: readonly Token[], pulls: Float64Array, sign: 1 | -1, maxWords = 5): string | null {
  let bestFrom = -1;
  let bestTo = -1;
  let bestPull = 0;
  let from = -1;
  let sum = 0;
  for (let t = 0; t <= tokens.length; t++) {
    const token = tokens[t];
    const p = token === undefined ? 0 : pulls[t]! * sign;
    const counts = token !== undefined && p > 0.01 && token.kind !== 'punct' && token.kind !== 'url' && token.kind !== 'mention';
    if (counts) {
      if (from < 0) {
        from = t;
        sum = 0;
      }
      sum += p;
      continue;
    }
    if (from >= 0 && sum > bestPull) {
      bestPull = sum;
      bestFrom = from;
      bestTo = t;
    }
    from = -1;
  }
  if (bestFrom < 0) return null;
  if (bestTo - bestFrom > maxWords) {
    // Keep the window of maxWords tokens with the largest pull.
    let best = bestFrom;
    let bestSum = -Infinity;
    for (let s = bestFrom; s + maxWords <= bestTo; s++) {
      let w = 0;
      for (let t = s; t < s + maxWords; t++) w += pulls[t]! * sign;
      if (w > bestSum) {
        bestSum = w;
        best = s;
      }
    }
    bestFrom = best;
    bestTo = best + maxWords;
  }
  const words: string[] = [];
  for (let t = bestFrom; t < bestTo; t++) words.push(tokens[t]!.raw);
  return words.join(' ');
}
