/**
 * Training settings of the complaint head (10-fold CV complaint F1 at margin 0, as eval measures
 * it) and the irony flag (validation F1 of irony with the offset tuned for macro-F1, as shipped):
 *
 *   npx tsx scripts/experiments/heads-tune.ts complaint|irony
 */
import path from 'node:path';
import { loadLinearModel } from '../../src/analyze/sentiment/linear-model.js';
import type { DenseInput } from '../../src/analyze/heads/model.js';
import { REPO_ROOT } from '../lib/data.js';
import { FLAG_INPUTS } from '../lib/heads-recipe.js';
import { COMPLAINT_INPUTS, complaintSet, figuresAt, flagSet, HEAD_OPTS, headValue, prepareTexts, trainHead, tuneOffset, type HeadTrainOptions, type Prepared } from '../lib/heads-train.js';
import { mulberry32, shuffleInPlace } from '../lib/linear-train.js';

interface Variant {
  opts?: Partial<HeadTrainOptions>;
  inputs?: DenseInput[];
  /** Average of heads trained with these seeds (margins averaged). */
  seeds?: number[];
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
  s7: { opts: { seed: 7 } },
  s13: { opts: { seed: 13 } },
  s99: { opts: { seed: 99 } },
  l2s3e4s7: { opts: { l2Sparse: 3e-4, seed: 7 } },
  l2s3e4s13: { opts: { l2Sparse: 3e-4, seed: 13 } },
  l2s3e4s99: { opts: { l2Sparse: 3e-4, seed: 99 } },
};

function cvComplaint(v: Variant, data: Prepared[], labels: number[]): number {
  const order = data.map((_d, i) => i);
  shuffleInPlace(order, mulberry32(20261123));
  const margins = new Array<number>(data.length).fill(0);
  const seeds = v.seeds ?? [undefined];
  for (let k = 0; k < 10; k++) {
    const held = new Set(order.filter((_i, j) => j % 10 === k));
    const trainIdx = order.filter((i) => !held.has(i));
    for (const seed of seeds) {
      const head = trainHead('complaint', trainIdx.map((i) => data[i]!), trainIdx.map((i) => labels[i]!), 2, v.inputs ?? COMPLAINT_INPUTS, { ...HEAD_OPTS, ...v.opts, ...(seed !== undefined ? { seed } : {}) });
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
    for (const name of names.length ? names : Object.keys(VARIANTS)) console.log(`complaint ${name}: CV F1 ${cvComplaint(VARIANTS[name]!, data, set.labels).toFixed(4)}`);
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
