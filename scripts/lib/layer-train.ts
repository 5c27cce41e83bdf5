/**
 * Multinomial logistic regression over a few dense inputs plus hashed binary features (scaled
 * 1/sqrt(n) as everywhere else): the brand layer that sits on top of the general sentiment
 * model. AdaGrad SGD, L2, seeded order.
 */
import { mulberry32, shuffleInPlace } from './linear-train.js';

export interface LayerExample {
  dense: Float64Array;
  ids: Int32Array;
  label: number;
  weight: number;
}

export interface LayerWeights {
  classes: number;
  denseCount: number;
  /** classes x denseCount, row per class. */
  dense: Float64Array;
  bias: Float64Array;
  /** buckets x classes. */
  sparse: Float32Array;
  bits: number;
}

export interface LayerTrainOptions {
  bits: number;
  classes: number;
  epochs: number;
  lr: number;
  l2: number;
  /** L2 on the sparse weights (usually stronger: they should only correct the dense part). */
  l2Sparse: number;
  seed: number;
}

export function layerLogits(w: LayerWeights, dense: Float64Array, ids: Int32Array, out: Float64Array): void {
  const C = w.classes;
  const D = w.denseCount;
  const v = ids.length > 0 ? 1 / Math.sqrt(ids.length) : 0;
  const mask = (1 << w.bits) - 1;
  for (let c = 0; c < C; c++) {
    let z = w.bias[c]!;
    for (let k = 0; k < D; k++) z += w.dense[c * D + k]! * dense[k]!;
    out[c] = z;
  }
  if (w.bits > 0) {
    for (const id of ids) {
      const base = (id & mask) * C;
      for (let c = 0; c < C; c++) out[c] = out[c]! + w.sparse[base + c]! * v;
    }
  }
}

export function trainLayer(examples: readonly LayerExample[], opts: LayerTrainOptions, denseCount: number): LayerWeights {
  const C = opts.classes;
  const w: LayerWeights = {
    classes: C,
    denseCount,
    dense: new Float64Array(C * denseCount),
    bias: new Float64Array(C),
    sparse: new Float32Array(opts.bits > 0 ? (1 << opts.bits) * C : 0),
    bits: opts.bits,
  };
  const gd = new Float64Array(C * denseCount).fill(1e-6);
  const gb = new Float64Array(C).fill(1e-6);
  const gs = new Float32Array(w.sparse.length).fill(1e-6);
  const order = examples.map((_e, i) => i);
  const random = mulberry32(opts.seed);
  const logits = new Float64Array(C);
  const mask = (1 << opts.bits) - 1;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    shuffleInPlace(order, random);
    for (const index of order) {
      const ex = examples[index]!;
      layerLogits(w, ex.dense, ex.ids, logits);
      let max = -Infinity;
      for (let c = 0; c < C; c++) max = Math.max(max, logits[c]!);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += logits[c] = Math.exp(logits[c]! - max);
      for (let c = 0; c < C; c++) logits[c] = (logits[c]! / sum - (c === ex.label ? 1 : 0)) * ex.weight;
      for (let c = 0; c < C; c++) {
        const g = logits[c]!;
        gb[c] = gb[c]! + g * g;
        w.bias[c] = w.bias[c]! - (opts.lr * g) / Math.sqrt(gb[c]!);
        for (let k = 0; k < denseCount; k++) {
          const j = c * denseCount + k;
          const grad = g * ex.dense[k]! + opts.l2 * w.dense[j]!;
          gd[j] = gd[j]! + grad * grad;
          w.dense[j] = w.dense[j]! - (opts.lr * grad) / Math.sqrt(gd[j]!);
        }
      }
      if (opts.bits > 0 && ex.ids.length > 0) {
        const v = 1 / Math.sqrt(ex.ids.length);
        for (const id of ex.ids) {
          const base = (id & mask) * C;
          for (let c = 0; c < C; c++) {
            const k = base + c;
            const grad = logits[c]! * v + opts.l2Sparse * w.sparse[k]!;
            gs[k] = gs[k]! + grad * grad;
            w.sparse[k] = w.sparse[k]! - (opts.lr * grad) / Math.sqrt(gs[k]!);
          }
        }
      }
    }
  }
  return w;
}
