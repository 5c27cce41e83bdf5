/**
 * Flag models experiment: offensive, hate, irony. Trains on train/, measures on moderation/*_val.
 *   npx tsx scripts/experiments/flags.ts [offensive|hate|irony] [bits] [variant]
 */
import path from 'node:path';
import { featurize } from '../lib/featurize.js';
import { readLabelled, SHARED_DATASETS, TRAIN_DIR } from '../lib/data.js';
import { binaryFigures, binaryMargins, fitBinary, honestBinary, maskIds, tuneOffset } from '../lib/binary.js';
import { naiveBayesScale } from '../lib/sentiment-train.js';
import { classWeights } from '../lib/complaint.js';
import { applyScale, trainLinear } from '../lib/linear-train.js';
import type { FeatureConfig } from '../../src/analyze/features/extract.js';

const which = process.argv[2] ?? 'offensive';
const bits = Number(process.argv[3] ?? 18);
const variant = process.argv[4] ?? 'plain';
const cfg: FeatureConfig = { bits: 20, wordNgrams: 3, charMin: 3, charMax: variant.includes('nochar') ? 0 : 5, negateChars: true };

function load(file: string, positive: (label: string) => number | null) {
  const rows = readLabelled(file);
  const texts: string[] = [];
  const labels: number[] = [];
  for (const r of rows) {
    const y = positive(r.label);
    if (y === null) continue;
    texts.push(r.text);
    labels.push(y);
  }
  return { texts, labels };
}

const train = load(path.join(TRAIN_DIR, `tweeteval_${which}_train.csv`), (l) => (l === which ? 1 : 0));
const val = load(path.join(SHARED_DATASETS, 'moderation', `tweeteval_${which}_val.csv`), (l) => (l === which ? 1 : 0));
const weights = train.labels.map(() => 1);
if (variant.includes('davidson')) {
  const dw = Number(/dw([\d.]+)/.exec(variant)?.[1] ?? 0.5);
  const d = load(path.join(TRAIN_DIR, 'davidson2017_hate_offensive.csv'), (l) =>
    which === 'offensive' ? (l === 'neither' ? 0 : 1) : which === 'hate' ? (l === 'hate' ? 1 : l === 'neither' ? 0 : variant.includes('offneg') ? 0 : null) : null,
  );
  train.texts.push(...d.texts);
  train.labels.push(...d.labels);
  weights.push(...d.labels.map(() => dw));
}
const t0 = Date.now();
const trainIds = maskIds(featurize(train.texts, cfg), bits);
const valIds = maskIds(featurize(val.texts, cfg), bits);
const epochs = Number(/ep(\d+)/.exec(variant)?.[1] ?? 6);
const l2 = Number(/l2([\de.-]+)/.exec(variant)?.[1] ?? 1e-4);
const nbk = Number(/nb([\d.]+)/.exec(variant)?.[1] ?? 0);
const balance = variant.includes('nobal') ? 0 : 1;
const lr = Number(/lr([\d.]+)/.exec(variant)?.[1] ?? 0.1);
let w: Float32Array;
if (nbk > 0) {
  const nb = naiveBayesScale({ ids: trainIds, kinds: [], labels: train.labels }, bits, 2, 1, nbk);
  const cw = classWeights(train.labels, 2, balance);
  w = applyScale(trainLinear(trainIds.map((x, i) => ({ ids: x, label: train.labels[i]!, weight: cw[train.labels[i]!]! * weights[i]! })), { bits, classes: 2, seed: 7, epochs, lr, l2, scale: nb }), nb);
} else w = fitBinary(trainIds, train.labels, { bits, epochs, lr, l2, seed: 7, balance }, weights);
const m = binaryMargins(w, valIds);
const measure = which === 'offensive' ? (f: { macroF1: number }) => f.macroF1 : (f: { f1: number }) => f.f1;
const at0 = binaryFigures(val.labels, m.map((x) => (x >= 0 ? 1 : 0)));
const off = tuneOffset(m, val.labels, measure);
const tuned = binaryFigures(val.labels, m.map((x) => (x + off >= 0 ? 1 : 0)));
console.log(
  `${which} bits=${bits} ${variant}: n=${train.texts.length} at0 macroF1 ${at0.macroF1.toFixed(4)} F1 ${at0.f1.toFixed(4)} | tuned(${off}) macroF1 ${tuned.macroF1.toFixed(4)} F1 ${tuned.f1.toFixed(4)} | honest ${honestBinary(m, val.labels, measure).toFixed(4)} | ${((Date.now() - t0) / 1000).toFixed(0)} s`,
);
if (process.env.SHOW) {
  const errs = val.texts.map((t, i) => ({ t, g: val.labels[i]!, m: m[i]! + off })).filter((e) => (e.m >= 0 ? 1 : 0) !== e.g);
  for (const e of errs.slice(0, Number(process.env.SHOW))) console.log(e.g ? 'FN' : 'FP', e.m.toFixed(2), e.t.slice(0, 140));
}
