/**
 * Binary hashed linear classifiers (complaint, the moderation and irony flags): training,
 * held-out probabilities and threshold tuning, over the analyzer's own features.
 */
import { classWeights } from './complaint.js';
import { predictLogits, trainLinear, type TrainExample } from './linear-train.js';

export interface BinaryTrainOptions {
  bits: number;
  epochs: number;
  lr: number;
  l2: number;
  seed: number;
  /** Class-balanced loss weights raised to this power (0: plain, 1: balanced). */
  balance: number;
}

/** Masks feature ids down to `bits` (features are extracted once, for the largest model). */
export function maskIds(ids: readonly Int32Array[], bits: number): Int32Array[] {
  const mask = (1 << bits) - 1;
  return ids.map((x) => Int32Array.from(x, (id) => id & mask));
}

export function fitBinary(ids: readonly Int32Array[], labels: readonly number[], opts: BinaryTrainOptions, weights?: readonly number[]): Float32Array {
  const cw = classWeights([...labels], 2, opts.balance);
  const examples: TrainExample[] = ids.map((x, i) => ({ ids: x, label: labels[i]!, weight: cw[labels[i]!]! * (weights?.[i] ?? 1) }));
  return trainLinear(examples, { bits: opts.bits, classes: 2, seed: opts.seed, epochs: opts.epochs, lr: opts.lr, l2: opts.l2 });
}

/** Logit of the positive class (index 1) minus the other, under float weights. */
export function binaryMargins(w: Float32Array, ids: readonly Int32Array[]): number[] {
  const out = new Float64Array(2);
  return ids.map((x) => {
    predictLogits(w, x, 2, out);
    return out[1]! - out[0]!;
  });
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export interface BinaryFigures {
  precision: number;
  recall: number;
  f1: number;
  /** Mean F1 of both classes. */
  macroF1: number;
  accuracy: number;
}

export function binaryFigures(gold: readonly number[], predicted: readonly number[]): BinaryFigures {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < gold.length; i++) {
    if (predicted[i] === 1) gold[i] === 1 ? tp++ : fp++;
    else gold[i] === 1 ? fn++ : tn++;
  }
  const f = (a: number, b: number, c: number) => (2 * a === 0 ? 0 : (2 * a) / (2 * a + b + c));
  const f1 = f(tp, fp, fn);
  const f0 = f(tn, fn, fp);
  return {
    precision: tp + fp > 0 ? tp / (tp + fp) : 0,
    recall: tp + fn > 0 ? tp / (tp + fn) : 0,
    f1,
    macroF1: (f1 + f0) / 2,
    accuracy: gold.length ? (tp + tn) / gold.length : 0,
  };
}

/**
 * The margin offset that maximises `measure` on (margins, gold): the flag is raised when
 * margin + offset >= 0 (probability >= 0.5 after the offset).
 */
export function tuneOffset(margins: readonly number[], gold: readonly number[], measure: (f: BinaryFigures) => number): number {
  let best = { score: -1, offset: 0 };
  for (let o = -3; o <= 3.0001; o += 0.05) {
    const score = measure(binaryFigures(gold, margins.map((m) => (m + o >= 0 ? 1 : 0))));
    if (score > best.score + 1e-9) best = { score, offset: Math.round(o * 100) / 100 };
  }
  return best.offset;
}

/** Offset tuned on one half and measured on the other, both ways, averaged: an honest figure. */
export function honestBinary(margins: readonly number[], gold: readonly number[], measure: (f: BinaryFigures) => number): number {
  const even = margins.map((_m, i) => i).filter((i) => i % 2 === 0);
  const odd = margins.map((_m, i) => i).filter((i) => i % 2 === 1);
  let total = 0;
  for (const [a, b] of [
    [even, odd],
    [odd, even],
  ] as const) {
    const offset = tuneOffset(
      a.map((i) => margins[i]!),
      a.map((i) => gold[i]!),
      measure,
    );
    total += measure(
      binaryFigures(
        b.map((i) => gold[i]!),
        b.map((i) => (margins[i]! + offset >= 0 ? 1 : 0)),
      ),
    );
  }
  return total / 2;
}
