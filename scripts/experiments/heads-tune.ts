/**
 * Training settings of the complaint head (10-fold CV complaint F1 at margin 0, as eval measures
 * it) and the irony flag (validation F1 of irony with the offset tuned for macro-F1, as shipped):
 *
 *   npx tsx scripts/experiments/heads-tune.ts complaint|irony
 */
import path from 'node:path';
import { loadLinearModel, type LinearModel } from '../../src/analyze/sentiment/linear-model.js';
import { DENSE_INDEX } from '../../src/analyze/heads/dense.js';
import type { DenseInput } from '../../src/analyze/heads/model.js';
import { REPO_ROOT } from '../lib/data.js';
import { FLAG_INPUTS } from '../lib/heads-recipe.js';
import { COMPLAINT_INPUTS, complaintSet, sandersSet, figuresAt, flagSet, HEAD_OPTS, headValue, prepareTexts, trainHead, tuneOffset, type HeadTrainOptions, type Prepared } from '../lib/heads-train.js';
import { mulberry32, shuffleInPlace } from '../lib/linear-train.js';

interface Variant {
  opts?: Partial<HeadTrainOptions>;
  inputs?: DenseInput[];
  /** Average of heads trained with these seeds (margins averaged). */
  seeds?: number[];
  /** Weak complaint labels from Sanders (negative = complaint, positive = not), at this weight, in every training fold. */
  weak?: number;
  /** ... only the Sanders tweets addressed to the topic's handle. */
  weakAddressedOnly?: boolean;
}

const VARIANTS: Record<string, Variant> = {
  shipped: {},
  ep4: { opts: { epochs: 4 } },
  ep10: { opts: { epochs: 10 } },
  l2s1e5: { opts: { l2Sparse: 1e-5 } },
  l2s3e4: { opts: { l2Sparse: 3e-4 } },
  l2s1e3: { opts: { l2Sparse: 1e-3 } },
  lr005: { opts: { lr: 0.05 } },
  lr02: { opts: { lr: 0.2 } },
  bal05: { opts: { balance: 0.5 } },
  bal075: { opts: { balance: 0.75 } },
  more: { inputs: [...COMPLAINT_INPUTS, 'crisis.severe', 'crisis.moderate', 'retweet'] },
  seeds3: { seeds: [HEAD_OPTS.seed, 7, 13] },
  weak01: { weak: 0.1 },
  weak03: { weak: 0.3 },
  weak1: { weak: 1 },
  weak03a: { weak: 0.3, weakAddressedOnly: true },
  s7: { opts: { seed: 7 } },
  s13: { opts: { seed: 13 } },
  s99: { opts: { seed: 99 } },
  l2s3e4s7: { opts: { l2Sparse: 3e-4, seed: 7 } },
  l2s3e4s13: { opts: { l2Sparse: 3e-4, seed: 13 } },
  l2s3e4s99: { opts: { l2Sparse: 3e-4, seed: 99 } },
};

let weakCache: { data: Prepared[]; labels: number[] } | null = null;
function weakSet(sentiment: LinearModel, addressedOnly: boolean): { data: Prepared[]; labels: number[] } {
  if (!weakCache) {
    const s = sandersSet();
    const data = prepareTexts(s.texts, sentiment);
    weakCache = { data, labels: s.labels };
  }
  const data: Prepared[] = [];
  const labels: number[] = [];
  weakCache.data.forEach((d, i) => {
    const y = weakCache!.labels[i]!;
    if (y === 1) return;
    if (addressedOnly && d.dense[DENSE_INDEX.addressed] !== 1) return;
    data.push(d);
    labels.push(y === 0 ? 1 : 0);
  });
  return { data, labels };
}

function cvComplaint(v: Variant, data: Prepared[], labels: number[], sentiment: LinearModel): number {
  const weak = v.weak ? weakSet(sentiment, v.weakAddressedOnly === true) : null;
  const order = data.map((_d, i) => i);
  shuffleInPlace(order, mulberry32(20261123));
  const margins = new Array<number>(data.length).fill(0);
  const seeds = v.seeds ?? [undefined];
  for (let k = 0; k < 10; k++) {
    const held = new Set(order.filter((_i, j) => j % 10 === k));
    const trainIdx = order.filter((i) => !held.has(i));
    for (const seed of seeds) {
      const trainData = trainIdx.map((i) => data[i]!);
      const trainLabels = trainIdx.map((i) => labels[i]!);
      const weights = trainIdx.map(() => 1);
      if (weak) {
        trainData.push(...weak.data);
        trainLabels.push(...weak.labels);
        weights.push(...weak.labels.map(() => v.weak!));
      }
      const head = trainHead('complaint', trainData, trainLabels, 2, v.inputs ?? COMPLAINT_INPUTS, { ...HEAD_OPTS, ...v.opts, ...(seed !== undefined ? { seed } : {}) }, weights);
      for (const i of held) margins[i]! += headValue(head, data[i]!) / seeds.length;
    }
  }
  return figuresAt(margins, labels).f1;
}

function main(): void {
  const what = process.argv[2] ?? 'complaint';
  const names = process.argv.slice(3);
  const sentiment = loadLinearModel(path.join(REPO_ROOT, 'models', 'sentiment.bin'));
  if (what === 'complaint') {
    const set = complaintSet();
    const data = prepareTexts(set.texts, sentiment);
    for (const name of names.length ? names : Object.keys(VARIANTS)) console.log(`complaint ${name}: CV F1 ${cvComplaint(VARIANTS[name]!, data, set.labels, sentiment).toFixed(4)}`);
    return;
  }
  const train = flagSet('irony', 'train');
  const data = prepareTexts(train.texts, sentiment);
  const val = flagSet('irony', 'val');
  const valData = prepareTexts(val.texts, sentiment);
  for (const name of names.length ? names : Object.keys(VARIANTS)) {
    const v = VARIANTS[name]!;
    const seeds = v.seeds ?? [undefined];
    const margins = new Array<number>(valData.length).fill(0);
    for (const seed of seeds) {
      const head = trainHead('irony', data, train.labels, 2, v.inputs ?? FLAG_INPUTS, { ...HEAD_OPTS, ...v.opts, ...(seed !== undefined ? { seed } : {}) });
      valData.forEach((d, i) => (margins[i]! += headValue(head, d) / seeds.length));
    }
    const offset = tuneOffset(margins, val.labels, (f) => f.macroF1);
    const f = figuresAt(margins, val.labels, offset);
    console.log(`irony ${name}: F1 ${f.f1.toFixed(4)} macro-F1 ${f.macroF1.toFixed(4)} (offset ${offset})`);
  }
}

main();
