/**
 * Sentiment training pieces: featurising, the class-offset tuning, and validation figures.
 */
import path from 'node:path';
import { createFeatureBuffer, extractFeatures, type FeatureConfig } from '../../src/analyze/features/extract.js';
import { tokenize } from '../../src/analyze/features/tokenize.js';
import { EVAL_DIR, readLabelled, sentimentIndex } from './data.js';
import { predictLogits } from './linear-train.js';
import { computeFigures, type Figures } from './metrics.js';

export interface Featurized {
  ids: Int32Array[];
  kinds: Uint8Array[];
  labels: number[];
}

export function featurizeRows(rows: { text: string; label: string; file: string }[], cfg: FeatureConfig): Featurized {
  const buf = createFeatureBuffer();
  const ids: Int32Array[] = [];
  const kinds: Uint8Array[] = [];
  const labels: number[] = [];
  for (const r of rows) {
    const n = extractFeatures(tokenize(r.text), cfg, buf);
    ids.push(buf.ids.slice(0, n));
    kinds.push(buf.kind.slice(0, n));
    labels.push(sentimentIndex(r.label, r.file));
  }
  return { ids, kinds, labels };
}

export function readRows(dir: string, files: string[]): { text: string; label: string; file: string }[] {
  return files.flatMap((f) => readLabelled(path.join(dir, f)).map((r) => ({ text: r.text, label: r.label, file: f })));
}

export function readValidation(cfg: FeatureConfig): Featurized {
  return featurizeRows(readRows(EVAL_DIR, ['tweeteval_sentiment_val.csv']), cfg);
}

/**
 * NBSVM-style weight scales: `1 + strength * r`, where r is the log-ratio of the share of texts of
 * a class that contain the feature to the share of the other texts that do (add-`alpha`
 * smoothing). Features that naive Bayes finds telling for a class get a weaker prior.
 */
export function naiveBayesScale(data: Featurized, bits: number, classes: number, alpha: number, strength: number): Float32Array {
  const buckets = 1 << bits;
  const count = new Float32Array(buckets * classes);
  const docs = new Array<number>(classes).fill(0);
  const seen = new Set<number>();
  data.ids.forEach((ids, i) => {
    const y = data.labels[i]!;
    docs[y]!++;
    seen.clear();
    for (const f of ids) {
      if (seen.has(f)) continue;
      seen.add(f);
      count[f * classes + y]!++;
    }
  });
  const total = docs.reduce((a, b) => a + b, 0);
  const scale = new Float32Array(buckets * classes);
  for (let f = 0; f < buckets; f++) {
    let all = 0;
    for (let c = 0; c < classes; c++) all += count[f * classes + c]!;
    for (let c = 0; c < classes; c++) {
      const inClass = count[f * classes + c]!;
      const p = (inClass + alpha) / (docs[c]! + alpha);
      const q = (all - inClass + alpha) / (total - docs[c]! + alpha);
      scale[f * classes + c] = 1 + strength * Math.log(p / q);
    }
  }
  return scale;
}

export function argmax3(a: number, b: number, c: number): number {
  if (a >= b && a >= c) return 0;
  return b >= c ? 1 : 2;
}

/** Per-class logit offsets (negative, 0, positive) maximising macro-recall (coarse grid). */
export function tuneBias(logits: Float64Array[], gold: number[]): number[] {
  let best = { score: -1, bias: [0, 0, 0] };
  for (let bn = -1.5; bn <= 1.5001; bn += 0.05) {
    for (let bp = -1.5; bp <= 1.5001; bp += 0.05) {
      const pred = logits.map((l) => argmax3(l[0]! + bn, l[1]!, l[2]! + bp));
      const score = computeFigures(gold, pred, 3).macroRecall;
      if (score > best.score + 1e-9) best = { score, bias: [Math.round(bn * 100) / 100, 0, Math.round(bp * 100) / 100] };
    }
  }
  return best.bias;
}

export function figuresWithBias(logits: Float64Array[], gold: number[], bias: number[]): Figures {
  return computeFigures(gold, logits.map((l) => argmax3(l[0]! + bias[0]!, l[1]!, l[2]! + bias[2]!)), 3);
}

/**
 * Macro-recall with offsets tuned on one half of the validation set and measured on the other
 * (both ways, averaged): an honest figure for comparing settings.
 */
export function honestMacroRecall(logits: Float64Array[], gold: number[]): number {
  const a = logits.map((_l, i) => i).filter((i) => i % 2 === 0);
  const b = logits.map((_l, i) => i).filter((i) => i % 2 === 1);
  let total = 0;
  for (const [tune, test] of [
    [a, b],
    [b, a],
  ] as const) {
    const bias = tuneBias(
      tune.map((i) => logits[i]!),
      tune.map((i) => gold[i]!),
    );
    total += figuresWithBias(
      test.map((i) => logits[i]!),
      test.map((i) => gold[i]!),
      bias,
    ).macroRecall;
  }
  return total / 2;
}

export function logitsOf(w: Float32Array, data: Featurized): Float64Array[] {
  return data.ids.map((ids) => {
    const out = new Float64Array(3);
    predictLogits(w, ids, 3, out);
    return out;
  });
}
