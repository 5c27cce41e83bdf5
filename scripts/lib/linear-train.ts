/**
 * Multinomial logistic regression over hashed binary features, trained with AdaGrad SGD and L2
 * on the touched weights. Deterministic: the example order comes from a seeded PRNG.
 */
import { mulberry32 } from './random.js';

export interface TrainExample {
  /** Bucket ids of the example's features (duplicates allowed). */
  ids: Int32Array;
  label: number;
  /** Loss weight (class balancing). */
  weight: number;
}

export interface LinearTrainOptions {
  bits: number;
  classes: number;
  epochs: number;
  /** AdaGrad base learning rate. */
  lr: number;
  /** L2 strength per update on touched weights. */
  l2: number;
  seed: number;
  /**
   * Optional fixed scale per weight (buckets x classes): the model's weight is `scale * w` and
   * L2 acts on `w`, so a larger scale is a weaker prior on that weight (NBSVM-style).
   */
  scale?: Float32Array;
  /** Starting weights (raw, before `scale`), e.g. from pretraining; default zeros. */
  init?: Float32Array;
}

export { mulberry32 };

/**
 * Turns `logits` in place into the gradient of the weighted softmax cross-entropy loss with
 * respect to each logit: (softmax − one-hot(label)) × weight.
 */
export function softmaxGradient(logits: Float64Array, classes: number, label: number, weight: number): void {
  let max = -Infinity;
  for (let c = 0; c < classes; c++) max = Math.max(max, logits[c]!);
  let sum = 0;
  for (let c = 0; c < classes; c++) {
    logits[c] = Math.exp(logits[c]! - max);
    sum += logits[c]!;
  }
  for (let c = 0; c < classes; c++) logits[c] = (logits[c]! / sum - (c === label ? 1 : 0)) * weight;
}

export function shuffleInPlace<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
}

/** Trains and returns the raw weights (see `applyScale` when `opts.scale` is set). */
export function trainLinear(examples: readonly TrainExample[], opts: LinearTrainOptions): Float32Array {
  const C = opts.classes;
  const size = (1 << opts.bits) * C;
  const w = opts.init ? Float32Array.from(opts.init) : new Float32Array(size);
  const g2 = new Float32Array(size).fill(1e-6);
  const order = examples.map((_e, i) => i);
  const random = mulberry32(opts.seed);
  const logits = new Float64Array(C);
  const R = opts.scale;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    shuffleInPlace(order, random);
    for (const index of order) {
      const ex = examples[index]!;
      predictLogits(w, ex.ids, C, logits, R);
      softmaxGradient(logits, C, ex.label, ex.weight);
      const n = ex.ids.length;
      const v = 1 / Math.sqrt(n);
      for (let f = 0; f < n; f++) {
        const base = ex.ids[f]! * C;
        for (let c = 0; c < C; c++) {
          const k = base + c;
          const grad = logits[c]! * v * (R ? R[k]! : 1) + opts.l2 * w[k]!;
          g2[k] = g2[k]! + grad * grad;
          w[k] = w[k]! - (opts.lr * grad) / Math.sqrt(g2[k]!);
        }
      }
    }
  }
  return w;
}

/** The model's weights: raw weights times their fixed scale. */
export function applyScale(w: Float32Array, scale: Float32Array | undefined): Float32Array {
  if (!scale) return w;
  return Float32Array.from(w, (x, k) => x * scale[k]!);
}

/** Logits of one example under float weights (training-time evaluation). */
export function predictLogits(w: Float32Array, ids: Int32Array, classes: number, out: Float64Array, scale?: Float32Array): void {
  out.fill(0);
  const v = 1 / Math.sqrt(ids.length);
  for (const id of ids) {
    const base = id * classes;
    for (let c = 0; c < classes; c++) out[c] = out[c]! + w[base + c]! * (scale ? scale[base + c]! : 1) * v;
  }
}
