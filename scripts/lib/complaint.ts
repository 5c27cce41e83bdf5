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

export interface ComplaintData {
  ids: Int32Array[];
  labels: number[];
}

export function complaintTexts(): string[] {
  return readLabelled(path.join(TRAIN_DIR, COMPLAINT_FILE)).map((r) => r.text);
}

export function complaintData(): ComplaintData {
  const file = path.join(TRAIN_DIR, COMPLAINT_FILE);
  const rows = readLabelled(file);
  const labels = rows.map((r) => {
    if (r.label !== 'complaint' && r.label !== 'not_complaint') throw new Error(`${file}: unknown label "${r.label}"`);
    return r.label === 'complaint' ? 1 : 0;
  });
  return { ids: featurize(rows.map((r) => r.text), COMPLAINT_FEATURES), labels };
}

export function fitComplaint(ids: Int32Array[], labels: number[]): Float32Array {
  const cw = classWeights(labels, 2, 1);
  const examples = ids.map((x, i) => ({ ids: x, label: labels[i]!, weight: cw[labels[i]!]! }));
  return trainLinear(examples, { bits: COMPLAINT_FEATURES.bits, classes: 2, seed: SEED, ...COMPLAINT_OPTS });
}

/** 10-fold cross-validated F1 of the complaint class (the paper's measure). */
export interface ComplaintCv {
  f1: number;
  accuracy: number;
  /** Held-out complaint probability of every row, in file order. */
  probabilities: number[];
  labels: number[];
}

export function crossValidateComplaint(folds = 10): ComplaintCv {
  const { ids, labels } = complaintData();
  const order = ids.map((_x, i) => i);
  shuffleInPlace(order, mulberry32(SEED));
  const pred = new Array<number>(ids.length).fill(0);
  const probabilities = new Array<number>(ids.length).fill(0);
  const out = new Float64Array(2);
  for (let k = 0; k < folds; k++) {
    const test = new Set(order.filter((_i, j) => j % folds === k));
    const trainIdx = order.filter((i) => !test.has(i));
    const w = fitComplaint(
      trainIdx.map((i) => ids[i]!),
      trainIdx.map((i) => labels[i]!),
    );
    for (const i of test) {
      predictLogits(w, ids[i]!, 2, out);
      pred[i] = out[1]! > out[0]! ? 1 : 0;
      probabilities[i] = 1 / (1 + Math.exp(out[0]! - out[1]!));
    }
  }
  const f = computeFigures(labels, pred, 2);
  return { f1: f.perClass[1]!.f1, accuracy: f.accuracy, probabilities, labels };
}

