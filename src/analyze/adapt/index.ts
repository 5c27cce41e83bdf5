/**
 * Learning from a brand's corrections: every sentiment correction and every "not relevant" a
 * team makes is a labelled example for that brand. From them, `fitAdaptation` learns a small
 * correction on top of the shared models:
 *
 * - sentiment: per-class offsets and weights on the text's words and word pairs, added to the
 *   shared logits (a residual logistic regression: the shared model's logits are the starting
 *   point, and strong L2 keeps every correction small unless the examples insist);
 * - relevance: a logistic model of "irrelevant" against the brand's other corrected mentions,
 *   once there are a few of each.
 *
 * It never changes the shared model, and it is plain JSON (BrandAdaptation in core/types.ts):
 * store it anywhere, apply it by putting it on the brand's context, drop it to get the shared
 * model's results again. Pure: no I/O, no clock unless given; the same corrections give the same
 * adaptation.
 */
import type { BrandAdaptation } from '../../core/types.js';
import { DENSE_INPUTS } from '../heads/model.js';

export type CorrectionLabel = 'negative' | 'neutral' | 'positive' | 'irrelevant';

export interface Correction {
  text: string;
  title?: string;
  label: CorrectionLabel;
  /** The mention was a reply or comment. */
  reply?: boolean;
}

/** A correction as the learner sees it: the shared model's logits for it and its word features. */
export interface ScoredCorrection {
  label: CorrectionLabel;
  /** Shared logits (negative, neutral, positive) before any adaptation. */
  logits: readonly number[];
  /** The dense inputs of the shared heads (DENSE_INPUTS order). */
  dense: readonly number[];
  /** Bucket ids of its word and word-pair features (adaptationFeatures). */
  ids: readonly number[];
  /** The words behind each id, for the `top` list. */
  words: ReadonlyMap<number, string>;
}

export interface LearnSettings {
  epochs: number;
  lr: number;
  /** L2 on word weights, on the class offsets and on the input recalibration (per example seen). */
  l2: number;
  l2Bias: number;
  l2Inputs: number;
  /** Learn word weights. */
  words: boolean;
  /**
   * Recalibrate the shared signals (general sentiment, complaint, irony, addressed...) per brand.
   * Off: learned from mistakes only, it learned to distrust the signals where they were wrong
   * and lost more elsewhere (learning simulation: negative F1 -0.03 to -0.15).
   */
  inputs: boolean;
  /** Weigh each sentiment correction by its label's rarity among the corrections (power; 0 = plain). */
  balance: number;
  /** Relevance is learned once there are this many irrelevant and this many relevant examples. */
  minRelevance: number;
}

/** Chosen by the learning simulation in `npm run eval` (Sanders, per brand, in time order). */
export const LEARN_SETTINGS: LearnSettings = { epochs: 12, lr: 0.3, l2: 1e-3, l2Bias: 3e-2, l2Inputs: 1e-2, words: true, inputs: false, balance: 0, minRelevance: 3 };

const CLASS = { negative: 0, neutral: 1, positive: 2 } as const;
const CLASS_NAMES = ['negative', 'neutral', 'positive'] as const;

export function fitAdaptation(scored: readonly ScoredCorrection[], learnedAt: string, settings: LearnSettings = LEARN_SETTINGS): BrandAdaptation {
  const examples = { negative: 0, neutral: 0, positive: 0, irrelevant: 0 };
  for (const s of scored) examples[s.label]++;
  const sentiment = scored.filter((s) => s.label !== 'irrelevant');
  const { bias, inputs, weights } = fitSentiment(sentiment, settings);
  const relevance =
    examples.irrelevant >= settings.minRelevance && sentiment.length >= settings.minRelevance ? fitRelevance(scored, settings) : null;
  return {
    format: 'earshot-adaptation',
    version: 1,
    examples,
    learnedAt,
    bias: [round4(bias[0]!), round4(bias[1]!), round4(bias[2]!)],
    inputs: serialiseInputs(inputs),
    weights: serialiseWeights(weights),
    relevance: relevance ? { bias: round4(relevance.bias), weights: Object.fromEntries([...relevance.weights].filter(([, w]) => Math.abs(w) >= 1e-3).map(([k, w]) => [String(k), round4(w)])) } : null,
    top: topWords(scored, weights, relevance?.weights ?? null),
  };
}

function fitSentiment(data: readonly ScoredCorrection[], s: LearnSettings): { bias: Float64Array; inputs: Float64Array; weights: Map<number, Float64Array> } {
  const K = DENSE_INPUTS.length;
  const bias = new Float64Array(3);
  const inputs = new Float64Array(K * 3);
  const gInputs = new Float64Array(K * 3).fill(1e-6);
  const weights = new Map<number, Float64Array>();
  const gBias = new Float64Array(3).fill(1e-6);
  const gWeights = new Map<number, Float64Array>();
  const p = new Float64Array(3);
  const counts = [0, 0, 0];
  for (const ex of data) counts[CLASS[ex.label as keyof typeof CLASS]]!++;
  const present = counts.filter((c) => c > 0).length;
  const classWeight = counts.map((c) => (c > 0 ? Math.pow(data.length / (present * c), s.balance) : 0));
  for (let epoch = 0; epoch < s.epochs; epoch++) {
    for (const ex of data) {
      const y = CLASS[ex.label as keyof typeof CLASS];
      const weight = classWeight[y]!;
      const v = ex.ids.length > 0 ? 1 / Math.sqrt(ex.ids.length) : 0;
      for (let c = 0; c < 3; c++) {
        let z = ex.logits[c]! + bias[c]!;
        for (let k = 0; k < K; k++) z += inputs[k * 3 + c]! * ex.dense[k]!;
        if (s.words) for (const id of ex.ids) z += (weights.get(id)?.[c] ?? 0) * v;
        p[c] = z;
      }
      softmaxInPlace(p);
      for (let c = 0; c < 3; c++) {
        const g = (p[c]! - (c === y ? 1 : 0)) * weight;
        const gb = g + s.l2Bias * bias[c]!;
        gBias[c] = gBias[c]! + gb * gb;
        bias[c] = bias[c]! - (s.lr * gb) / Math.sqrt(gBias[c]!);
        for (let k = 0; k < K && s.inputs; k++) {
          const j = k * 3 + c;
          const gi = g * ex.dense[k]! + s.l2Inputs * inputs[j]!;
          gInputs[j] = gInputs[j]! + gi * gi;
          inputs[j] = inputs[j]! - (s.lr * gi) / Math.sqrt(gInputs[j]!);
        }
        if (!s.words) continue;
        for (const id of ex.ids) {
          let w = weights.get(id);
          let gw = gWeights.get(id);
          if (w === undefined || gw === undefined) {
            w = new Float64Array(3);
            gw = new Float64Array(3).fill(1e-6);
            weights.set(id, w);
            gWeights.set(id, gw);
          }
          const grad = g * v + s.l2 * w[c]!;
          gw[c] = gw[c]! + grad * grad;
          w[c] = w[c]! - (s.lr * grad) / Math.sqrt(gw[c]!);
        }
      }
    }
  }
  return { bias, inputs, weights };
}

function serialiseInputs(inputs: Float64Array): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  DENSE_INPUTS.forEach((name, k) => {
    const w: [number, number, number] = [round4(inputs[k * 3]!), round4(inputs[k * 3 + 1]!), round4(inputs[k * 3 + 2]!)];
    if (w.some((x) => x !== 0)) out[name] = w;
  });
  return out;
}

function fitRelevance(data: readonly ScoredCorrection[], s: LearnSettings): { bias: number; weights: Map<number, number> } {
  let bias = 0;
  let gBias = 1e-6;
  const weights = new Map<number, number>();
  const gWeights = new Map<number, number>();
  const irrelevant = data.filter((d) => d.label === 'irrelevant').length;
  const relevant = data.length - irrelevant;
  for (let epoch = 0; epoch < s.epochs; epoch++) {
    for (const ex of data) {
      const y = ex.label === 'irrelevant' ? 1 : 0;
      // Class-balanced: a few "not relevant" clicks weigh as much as many sentiment corrections.
      const weight = data.length / (2 * (y === 1 ? irrelevant : relevant));
      const v = ex.ids.length > 0 ? 1 / Math.sqrt(ex.ids.length) : 0;
      let z = bias;
      for (const id of ex.ids) z += (weights.get(id) ?? 0) * v;
      const g = (1 / (1 + Math.exp(-z)) - y) * weight;
      const gb = g + s.l2Bias * bias;
      gBias += gb * gb;
      bias -= (s.lr * gb) / Math.sqrt(gBias);
      for (const id of ex.ids) {
        const w = weights.get(id) ?? 0;
        const grad = g * v + s.l2 * w;
        const acc = (gWeights.get(id) ?? 1e-6) + grad * grad;
        gWeights.set(id, acc);
        weights.set(id, w - (s.lr * grad) / Math.sqrt(acc));
      }
    }
  }
  return { bias, weights };
}

function softmaxInPlace(z: Float64Array): void {
  const max = Math.max(z[0]!, z[1]!, z[2]!);
  let sum = 0;
  for (let c = 0; c < 3; c++) sum += z[c] = Math.exp(z[c]! - max);
  for (let c = 0; c < 3; c++) z[c] = z[c]! / sum;
}

function serialiseWeights(weights: Map<number, Float64Array>): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  for (const [id, w] of weights) {
    if (Math.abs(w[0]!) < 1e-3 && Math.abs(w[1]!) < 1e-3 && Math.abs(w[2]!) < 1e-3) continue;
    out[String(id)] = [round4(w[0]!), round4(w[1]!), round4(w[2]!)];
  }
  return out;
}

const TOP = 10;

function topWords(scored: readonly ScoredCorrection[], weights: Map<number, Float64Array>, relevance: Map<number, number> | null): BrandAdaptation['top'] {
  const words = new Map<number, string>();
  for (const s of scored) for (const [id, w] of s.words) words.set(id, w);
  const found: BrandAdaptation['top'] = [];
  for (const [id, w] of weights) {
    // What a word now pushes towards: its largest weight relative to the other two classes.
    const mean = (w[0]! + w[1]! + w[2]!) / 3;
    let best = 0;
    for (let c = 1; c < 3; c++) if (w[c]! > w[best]!) best = c;
    const weight = w[best]! - mean;
    if (weight > 0.05 && words.has(id)) found.push({ words: words.get(id)!, label: CLASS_NAMES[best]!, weight: round4(weight) });
  }
  if (relevance) {
    for (const [id, w] of relevance) if (w > 0.1 && words.has(id)) found.push({ words: words.get(id)!, label: 'irrelevant', weight: round4(w) });
  }
  return found.sort((a, b) => b.weight - a.weight || (a.words < b.words ? -1 : 1)).slice(0, TOP);
}

/** What changed between two adaptations of a brand, in lines for people (`earshot learn` prints them). */
export function describeAdaptation(before: BrandAdaptation | null, after: BrandAdaptation): string[] {
  const e = after.examples;
  const lines = [`learned from ${e.negative + e.neutral + e.positive + e.irrelevant} corrections: ${e.negative} negative, ${e.neutral} neutral, ${e.positive} positive, ${e.irrelevant} not relevant`];
  if (before) {
    const b = before.examples;
    lines.push(`before: ${b.negative + b.neutral + b.positive + b.irrelevant} corrections (learned ${before.learnedAt})`);
  }
  const previous = new Set((before?.top ?? []).map((t) => `${t.label}:${t.words}`));
  for (const t of after.top) lines.push(`${previous.has(`${t.label}:${t.words}`) ? ' ' : '+'} "${t.words}" -> ${t.label} (${t.weight.toFixed(2)})`);
  if (after.relevance === null && e.irrelevant > 0) lines.push(`not relevant: ${e.irrelevant} examples, a few more of them and of relevant ones are needed to learn it`);
  return lines;
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
