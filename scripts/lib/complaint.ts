/** The complaint detector's data, training and cross-validation (shared by train and eval). */
import path from 'node:path';
import type { FeatureConfig } from '../../src/analyze/features/extract.js';
import { TRAIN_DIR, readLabelled } from './data.js';
import { featurize } from './featurize.js';
import { mulberry32, predictLogits, shuffleInPlace, trainLinear } from './linear-train.js';
import { computeFigures } from './metrics.js';

export const SEED = 20261123;

export function classWeights(labels: number[], classes: number, power: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const l of labels) counts[l]!++;
  return counts.map((n) => Math.pow(labels.length / (classes * Math.max(1, n)), power));
}

// The sentiment model's n-gram settings, so the analyzer extracts features once for both.
export const COMPLAINT_FEATURES: FeatureConfig = { bits: 18, wordNgrams: 3, charMin: 3, charMax: 5, negateChars: true };
export const COMPLAINT_FILE = 'complaints_preotiuc2019.csv';
export const COMPLAINT_OPTS = { epochs: 6, lr: 0.1, l2: 1e-4 };

/** Dense inputs from the sentiment model: P(negative), P(positive). */
export type SentimentProbe = (text: string) => [number, number];

export interface ComplaintData {
  ids: Int32Array[];
  labels: number[];
  dense: Float32Array[] | null;
}

export function complaintData(probe?: SentimentProbe): ComplaintData {
  const file = path.join(TRAIN_DIR, COMPLAINT_FILE);
  const rows = readLabelled(file);
  const labels = rows.map((r) => {
    if (r.label !== 'complaint' && r.label !== 'not_complaint') throw new Error(`${file}: unknown label "${r.label}"`);
    return r.label === 'complaint' ? 1 : 0;
  });
  const dense = probe ? rows.map((r) => Float32Array.from(probe(r.text))) : null;
  return { ids: featurize(rows.map((r) => r.text), COMPLAINT_FEATURES), labels, dense };
}

export function fitComplaint(ids: Int32Array[], labels: number[], dense: Float32Array[] | null): Float32Array {
  const cw = classWeights(labels, 2, 1);
  const examples = ids.map((x, i) => ({ ids: x, label: labels[i]!, weight: cw[labels[i]!]!, dense: dense?.[i] }));
  return trainLinear(examples, {
    bits: COMPLAINT_FEATURES.bits,
    classes: 2,
    seed: SEED,
    ...COMPLAINT_OPTS,
    dense: dense ? 2 : 0,
  });
}

/** 10-fold cross-validated F1 of the complaint class (the paper's measure). */
export function crossValidateComplaint(probe?: SentimentProbe, folds = 10): { f1: number; accuracy: number } {
  const { ids, labels, dense } = complaintData(probe);
  const order = ids.map((_x, i) => i);
  shuffleInPlace(order, mulberry32(SEED));
  const pred = new Array<number>(ids.length).fill(0);
  const out = new Float64Array(2);
  for (let k = 0; k < folds; k++) {
    const test = new Set(order.filter((_i, j) => j % folds === k));
    const trainIdx = order.filter((i) => !test.has(i));
    const w = fitComplaint(
      trainIdx.map((i) => ids[i]!),
      trainIdx.map((i) => labels[i]!),
      dense ? trainIdx.map((i) => dense[i]!) : null,
    );
    for (const i of test) {
      predictLogits(w, ids[i]!, 2, out, dense?.[i], (1 << COMPLAINT_FEATURES.bits) * 2);
      pred[i] = out[1]! > out[0]! ? 1 : 0;
    }
  }
  const f = computeFigures(labels, pred, 2);
  return { f1: f.perClass[1]!.f1, accuracy: f.accuracy };
}

