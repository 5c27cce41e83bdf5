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
  /**
   * The team read the mention and left the analyzer's label as it was (handled, not corrected):
   * `label` is that label. Corrections alone are all mistakes, a biased sample; with these the
   * learner sees how often the shared model was right, and can check itself (see fitAdaptation).
   */
  confirmed?: boolean;
}

/** A correction as the learner sees it: the shared model's logits for it and its word features. */
export interface ScoredCorrection {
  label: CorrectionLabel;
  confirmed: boolean;
  /** Shared logits (negative, neutral, positive) before any adaptation. */
  logits: readonly number[];
  /** The dense inputs of the shared heads (DENSE_INPUTS order). */
  dense: readonly number[];
  /** Bucket ids of its word and word-pair features (adaptationFeatures). */
  ids: readonly number[];
  /** The words behind each id, for the `top` list. */
  words: ReadonlyMap<number, string>;
}

/**
 * How the check (see LearnSettings.folds) compares strengths on the held-out examples:
 * 'guarded' = the best macro-F1 among those whose negative F1 is not below the shared model's
 * (negative is the class that alerts); 'loglik' = the best log-likelihood.
 */
export type CheckMetric = 'guarded' | 'loglik';

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
   * and lost more elsewhere (learning simulation: negative F1 -0.03 to -0.15); with
   * confirmations it was no better than without (src/analyze/README.md).
   */
  inputs: boolean;
  /** Weigh each sentiment correction by its label's rarity among the corrections (power; 0 = plain). */
  balance: number;
  /** Loss weight of a confirmation (a correction weighs 1). */
  confirmedWeight: number;
  /** Relevance is learned once there are this many irrelevant and this many relevant examples. */
  minRelevance: number;
  /** The class offsets are kept within +-biasCap (logits). */
  biasCap: number;
  /**
   * The check before applying: the examples (oldest first) are cut into `folds` blocks; with
   * 'forward' validation each block from the second on is scored by an adaptation learned from
   * the blocks before it (as the adaptation will be used: on what comes next), with 'blocked' by
   * one learned from all other blocks. Each of `strengths` (a factor on the whole adaptation) is
   * scored by `metric`; the best is applied if it beats the shared model (strength 0) by at least
   * `minGain` per held-out example, else nothing is. 0 folds: no check, full strength.
   */
  folds: number;
  strengths: number[];
  metric: CheckMetric;
  validation: 'blocked' | 'forward';
  minGain: number;
  /**
   * A shared "negative" stays negative unless the adaptation brings P(negative) below this: the
   * alert class. Removing negatives that are right half the time lowers negative F1 (it only
   * rises when fewer than F1/2 of them were right), though it raises accuracy. 0: off.
   */
  keepNegative: number;
  /** Needed for a check: at least this many examples, some of them confirmations. */
  minCheck: number;
  /** Strength without a possible check (too few examples, or no confirmations). */
  unchecked: number;
}

/**
 * Chosen by the learning simulation in `npm run eval` (Sanders, per brand, in time order; see
 * src/analyze/README.md for the variants tried and their figures).
 */
export const LEARN_SETTINGS: LearnSettings = {
  epochs: 12,
  lr: 0.3,
  l2: 1e-3,
  l2Bias: 3e-2,
  l2Inputs: 1e-2,
  words: true,
  inputs: false,
  balance: 0,
  confirmedWeight: 1,
  minRelevance: 3,
  biasCap: 2,
  folds: 5,
  strengths: [0, 0.25, 0.5, 0.75, 1],
  metric: 'guarded',
  validation: 'forward',
  minGain: 0,
  keepNegative: 0.15,
  minCheck: 20,
  unchecked: 0.5,
};

const CLASS = { negative: 0, neutral: 1, positive: 2 } as const;
const CLASS_NAMES = ['negative', 'neutral', 'positive'] as const;

/** What the check found (fitAdaptation), for `earshot learn` to print. */
export interface AdaptationCheck {
  /** Examples scored held out. */
  heldOut: number;
  /** Of those, right by the shared model and by the adaptation at the chosen strength. */
  sharedRight: number;
  adaptedRight: number;
  /** Factor applied to everything learned (0: not applied). */
  strength: number;
}

/** What the examples teach, on top of the shared logits; word weights by local index (Compact). */
interface Residual {
  bias: Float64Array;
  inputs: Float64Array;
  /** local index x 3. */
  weights: Float64Array;
}

/** The examples with their word features renumbered 0..V-1: the learner runs on flat arrays. */
interface Compact {
  items: { ex: ScoredCorrection; y: number; idx: Int32Array; v: number }[];
  /** Local index -> bucket id. */
  ids: number[];
}

function compact(data: readonly ScoredCorrection[]): Compact {
  const local = new Map<number, number>();
  const ids: number[] = [];
  const items = data.map((ex) => {
    const idx = new Int32Array(ex.ids.length);
    ex.ids.forEach((id, k) => {
      let j = local.get(id);
      if (j === undefined) {
        j = ids.length;
        local.set(id, j);
        ids.push(id);
      }
      idx[k] = j;
    });
    return { ex, y: CLASS[ex.label as keyof typeof CLASS], idx, v: ex.ids.length > 0 ? 1 / Math.sqrt(ex.ids.length) : 0 };
  });
  return { items, ids };
}

export function fitAdaptation(scored: readonly ScoredCorrection[], learnedAt: string, settings: LearnSettings = LEARN_SETTINGS): BrandAdaptation {
  const examples = { negative: 0, neutral: 0, positive: 0, irrelevant: 0 };
  for (const s of scored) if (!s.confirmed) examples[s.label]++;
  const data = compact(scored.filter((s) => s.label !== 'irrelevant'));
  const check = checkStrength(data, settings);
  const residual = fitSentiment(data.items, data.ids.length, settings);
  scaleResidual(residual, check.strength);
  const weights = new Map<number, Float64Array>();
  data.ids.forEach((id, j) => weights.set(id, residual.weights.subarray(j * 3, j * 3 + 3)));
  const { bias, inputs } = residual;
  const relevance =
    examples.irrelevant >= settings.minRelevance && data.items.length >= settings.minRelevance ? fitRelevance(scored, settings) : null;
  const confirmed = scored.filter((s) => s.confirmed).length;
  return {
    format: 'earshot-adaptation',
    version: 1,
    examples,
    ...(confirmed > 0 ? { confirmed } : {}),
    learnedAt,
    bias: [round4(bias[0]!), round4(bias[1]!), round4(bias[2]!)],
    ...(settings.keepNegative > 0 ? { keepNegative: settings.keepNegative } : {}),
    inputs: serialiseInputs(inputs),
    weights: serialiseWeights(weights),
    relevance: relevance ? { bias: round4(relevance.bias), weights: Object.fromEntries([...relevance.weights].filter(([, w]) => Math.abs(w) >= 1e-3).map(([k, w]) => [String(k), round4(w)])) } : null,
    top: topWords(scored, weights, relevance?.weights ?? null),
    ...(check.heldOut > 0 ? { check } : {}),
  };
}

/**
 * How strongly to apply what the examples teach: cross-validated in time order on the brand's
 * own examples (see LearnSettings.folds). Needs confirmations: on corrections alone the shared
 * model is wrong by construction, so any change looks like a gain.
 */
function checkStrength(data: Compact, s: LearnSettings): AdaptationCheck {
  const items = data.items;
  const n = items.length;
  if (s.folds < 2) return { heldOut: 0, sharedRight: 0, adaptedRight: 0, strength: 1 };
  if (n < s.minCheck || !items.some((d) => d.ex.confirmed)) return { heldOut: 0, sharedRight: 0, adaptedRight: 0, strength: s.unchecked };
  const S = s.strengths.length;
  const held = { n: 0, loglik: new Float64Array(S), right: new Float64Array(S), tp: s.strengths.map(() => [0, 0, 0]), predicted: s.strengths.map(() => [0, 0, 0]), gold: [0, 0, 0] };
  const add = new Float64Array(3);
  const z = new Float64Array(3);
  for (let k = s.validation === 'forward' ? 1 : 0; k < s.folds; k++) {
    const from = Math.floor((k * n) / s.folds);
    const to = Math.floor(((k + 1) * n) / s.folds);
    const residual = fitSentiment(s.validation === 'forward' ? items.slice(0, from) : [...items.slice(0, from), ...items.slice(to)], data.ids.length, s);
    for (let i = from; i < to; i++) {
      const item = items[i]!;
      const y = item.y;
      held.n++;
      held.gold[y]!++;
      residualAdd(residual, item, s, add);
      s.strengths.forEach((strength, j) => {
        for (let c = 0; c < 3; c++) z[c] = item.ex.logits[c]! + strength * add[c]!;
        const best = adaptedClass(item.ex.logits, z, s.keepNegative);
        softmaxInPlace(z);
        held.loglik[j] = held.loglik[j]! + Math.log(Math.max(1e-12, z[y]!));
        held.predicted[j]![best]!++;
        if (best === y) {
          held.right[j]!++;
          held.tp[j]![y]!++;
        }
      });
    }
  }
  const f1 = (j: number, c: number): number => {
    const den = held.predicted[j]![c]! + held.gold[c]!;
    return den > 0 ? (2 * held.tp[j]![c]!) / den : 0;
  };
  const macro = (j: number): number => {
    const present = [0, 1, 2].filter((c) => held.gold[c]! > 0);
    return present.reduce((sum, c) => sum + f1(j, c), 0) / Math.max(1, present.length);
  };
  const none = s.strengths.indexOf(0);
  // Per held-out example, so minGain reads the same for any number of examples.
  const score = (j: number): number => {
    if (s.metric === 'loglik') return held.loglik[j]! / held.n;
    return f1(j, 0) + 1e-9 < f1(none, 0) ? -Infinity : macro(j);
  };
  let best = none;
  for (let j = 0; j < S; j++) if (score(j) > score(best) + 1e-9) best = j;
  if (best !== none && score(best) - score(none) < s.minGain) best = none;
  return { heldOut: held.n, sharedRight: held.right[none]!, adaptedRight: held.right[best]!, strength: s.strengths[best]! };
}

/**
 * The class the analyzer gives once adapted (`adapted` logits) of a text the shared model scored
 * `shared`: the argmax, except that a shared negative stays negative while P(negative) >= keep.
 * `adapted` holds logits (not probabilities) on entry.
 */
export function adaptedClass(shared: ArrayLike<number>, adapted: ArrayLike<number>, keep: number): number {
  const best = argmax3(adapted);
  if (keep <= 0 || best === 0 || argmax3(shared) !== 0) return best;
  const max = Math.max(adapted[0]!, adapted[1]!, adapted[2]!);
  const a = Math.exp(adapted[0]! - max);
  return a / (a + Math.exp(adapted[1]! - max) + Math.exp(adapted[2]! - max)) >= keep ? 0 : best;
}

/** The residual's logit corrections for one example. */
function residualAdd(r: Residual, item: Compact['items'][number], s: LearnSettings, out: Float64Array): void {
  const K = DENSE_INPUTS.length;
  const w = r.weights;
  for (let c = 0; c < 3; c++) {
    let add = r.bias[c]!;
    for (let k = 0; k < K && s.inputs; k++) add += r.inputs[k * 3 + c]! * item.ex.dense[k]!;
    if (s.words) for (let k = 0; k < item.idx.length; k++) add += w[item.idx[k]! * 3 + c]! * item.v;
    out[c] = add;
  }
}

function scaleResidual(r: Residual, strength: number): void {
  if (strength === 1) return;
  for (let c = 0; c < 3; c++) r.bias[c] = r.bias[c]! * strength;
  for (let j = 0; j < r.inputs.length; j++) r.inputs[j] = r.inputs[j]! * strength;
  for (let j = 0; j < r.weights.length; j++) r.weights[j] = r.weights[j]! * strength;
}

function argmax3(z: ArrayLike<number>): number {
  return z[0]! >= z[1]! && z[0]! >= z[2]! ? 0 : z[1]! >= z[2]! ? 1 : 2;
}

/** A residual logistic regression over the shared logits: class offsets, optionally the dense inputs, word weights. AdaGrad, L2. */
function fitSentiment(items: Compact['items'], vocabulary: number, s: LearnSettings): Residual {
  const K = DENSE_INPUTS.length;
  const bias = new Float64Array(3);
  const inputs = new Float64Array(K * 3);
  const gInputs = new Float64Array(K * 3).fill(1e-6);
  const weights = new Float64Array(vocabulary * 3);
  const gWeights = new Float64Array(vocabulary * 3).fill(1e-6);
  const gBias = new Float64Array(3).fill(1e-6);
  const p = new Float64Array(3);
  const counts = [0, 0, 0];
  for (const item of items) counts[item.y]!++;
  const present = counts.filter((c) => c > 0).length;
  const classWeight = counts.map((c) => (c > 0 ? Math.pow(items.length / (present * c), s.balance) : 0));
  for (let epoch = 0; epoch < s.epochs; epoch++) {
    for (const item of items) {
      const { ex, y, idx, v } = item;
      const weight = classWeight[y]! * (ex.confirmed ? s.confirmedWeight : 1);
      if (weight === 0) continue;
      for (let c = 0; c < 3; c++) {
        let z = ex.logits[c]! + bias[c]!;
        for (let k = 0; k < K && s.inputs; k++) z += inputs[k * 3 + c]! * ex.dense[k]!;
        if (s.words) for (let k = 0; k < idx.length; k++) z += weights[idx[k]! * 3 + c]! * v;
        p[c] = z;
      }
      softmaxInPlace(p);
      for (let c = 0; c < 3; c++) {
        const g = (p[c]! - (c === y ? 1 : 0)) * weight;
        const gb = g + s.l2Bias * bias[c]!;
        gBias[c] = gBias[c]! + gb * gb;
        bias[c] = Math.max(-s.biasCap, Math.min(s.biasCap, bias[c]! - (s.lr * gb) / Math.sqrt(gBias[c]!)));
        for (let k = 0; k < K && s.inputs; k++) {
          const j = k * 3 + c;
          const gi = g * ex.dense[k]! + s.l2Inputs * inputs[j]!;
          gInputs[j] = gInputs[j]! + gi * gi;
          inputs[j] = inputs[j]! - (s.lr * gi) / Math.sqrt(gInputs[j]!);
        }
        if (!s.words) continue;
        for (let k = 0; k < idx.length; k++) {
          const j = idx[k]! * 3 + c;
          const grad = g * v + s.l2 * weights[j]!;
          gWeights[j] = gWeights[j]! + grad * grad;
          weights[j] = weights[j]! - (s.lr * grad) / Math.sqrt(gWeights[j]!);
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
  if (after.confirmed) lines.push(`and ${after.confirmed} mentions handled without a correction (their labels were right)`);
  if (before) {
    const b = before.examples;
    lines.push(`before: ${b.negative + b.neutral + b.positive + b.irrelevant} corrections (learned ${before.learnedAt})`);
  }
  lines.push(describeCheck(after));
  if (after.check?.strength !== 0) {
    const previous = new Set((before?.top ?? []).map((t) => `${t.label}:${t.words}`));
    for (const t of after.top) lines.push(`${previous.has(`${t.label}:${t.words}`) ? ' ' : '+'} "${t.words}" -> ${t.label} (${t.weight.toFixed(2)})`);
  }
  if (after.relevance === null && e.irrelevant > 0) lines.push(`not relevant: ${e.irrelevant} examples, a few more of them and of relevant ones are needed to learn it`);
  return lines;
}

function describeCheck(a: BrandAdaptation): string {
  const c = a.check;
  if (c === undefined) {
    return a.confirmed
      ? 'too few examples to check it on the most recent ones: applied at reduced strength'
      : 'not checked (no mention was handled without a correction, so there is nothing to check it against): applied at reduced strength';
  }
  if (c.strength === 0) {
    return `not applied: learned from the earlier examples, it did no better than the shared model on the ${c.heldOut} more recent ones (the shared model got ${c.sharedRight} right); the shared model answers`;
  }
  const figures = `learned from the earlier ones, it got ${c.adaptedRight} of the ${c.heldOut} more recent ones right, the shared model ${c.sharedRight}`;
  return `checked on the brand's own examples: ${figures}; applied${c.strength < 1 ? ` at ${Math.round(c.strength * 100)}% strength` : ''}`;
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
