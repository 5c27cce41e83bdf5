/** Complaint detector variations, 10-fold CV complaint F1.  npx tsx scripts/experiments/complaint.ts VARIANT */
import path from 'node:path';
import { createFeatureBuffer, extractFeatures } from '../../src/analyze/features/extract.js';
import { tokenize } from '../../src/analyze/features/tokenize.js';
import { loadLinearModel, createScratch, scoreFeatures } from '../../src/analyze/sentiment/linear-model.js';
import { readLabelled, REPO_ROOT, TRAIN_DIR } from '../lib/data.js';
import { mulberry32, shuffleInPlace } from '../lib/linear-train.js';
import { trainLayer, layerLogits, type LayerExample } from '../lib/layer-train.js';
import { binaryFigures } from '../lib/binary.js';

const variant = process.argv[2] ?? 'base';
const opt = (name: string, dflt: number) => Number(new RegExp(`${name}([\\d.e]+)`).exec(variant)?.[1] ?? dflt);
const sent = loadLinearModel(path.join(REPO_ROOT, 'models/sentiment.bin'));
const cfg = sent.header.features;
const buf = createFeatureBuffer();
const s1 = createScratch(3);
const rows = readLabelled(path.join(TRAIN_DIR, 'complaints_preotiuc2019.csv'));
const sw = opt('sw', 0);
const extraRows = sw > 0 ? readLabelled(path.join(TRAIN_DIR, 'brands_sanders.csv')).map((r) => ({ ...r, label: r.label === 'negative' ? 'complaint' : 'not' })) : [];
const featurizeRow = (r: { text: string; label: string }) => {
  const tokens = tokenize(r.text);
  extractFeatures(tokens, cfg, buf);
  scoreFeatures(sent, buf, tokens.length, s1, null, null);
  const l = s1.logits;
  const t = r.text.trim();
  const dense = variant.includes('nodense')
    ? new Float64Array(0)
    : new Float64Array([l[0]! - l[1]!, l[2]! - l[1]!, t.includes('?') ? 1 : 0, /^@\w/.test(t) ? 1 : 0, /https?:\/\//.test(t) ? 1 : 0, Math.min(1, t.length / 140)]);
  const ids = variant.includes('wordsonly') ? buf.ids.slice(0, buf.n).filter((_x, f) => buf.kind[f] !== 3) : buf.ids.slice(0, buf.n);
  return { dense, ids, label: r.label === 'complaint' ? 1 : 0 };
};
const items = rows.map(featurizeRow);
const extra = extraRows.map(featurizeRow);
const order = items.map((_x, i) => i);
shuffleInPlace(order, mulberry32(20261123));
const pred = new Array<number>(items.length).fill(0);
const margins = new Array<number>(items.length).fill(0);
const opts = { bits: opt('bits', 18), classes: 2, epochs: opt('ep', 6), lr: opt('lr', 0.1), l2: 1e-4, l2Sparse: opt('l2s', 1e-4), seed: 3 };
const out = new Float64Array(2);
for (let k = 0; k < 10; k++) {
  const test = order.filter((_i, j) => j % 10 === k);
  const testSet = new Set(test);
  const train = items.filter((_x, i) => !testSet.has(i));
  const pos = train.filter((x) => x.label === 1).length;
  const cw = [train.length / (2 * (train.length - pos)), train.length / (2 * pos)];
  const ex: LayerExample[] = [...train.map((x) => ({ dense: x.dense, ids: x.ids, label: x.label, weight: cw[x.label]! })), ...extra.map((x) => ({ dense: x.dense, ids: x.ids, label: x.label, weight: sw * (x.label ? 2 : 0.6) }))];
  const w = trainLayer(ex, opts, items[0]!.dense.length);
  for (const i of test) {
    layerLogits(w, items[i]!.dense, items[i]!.ids, out);
    margins[i] = out[1]! - out[0]!;
    pred[i] = margins[i]! >= 0 ? 1 : 0;
  }
}
const f = binaryFigures(items.map((x) => x.label), pred);
let best = 0;
for (let o = -1; o <= 1; o += 0.1) best = Math.max(best, binaryFigures(items.map((x) => x.label), margins.map((m) => (m + o >= 0 ? 1 : 0))).f1);
console.log(`${variant}: complaint F1 ${f.f1.toFixed(4)} P ${f.precision.toFixed(3)} R ${f.recall.toFixed(3)} acc ${f.accuracy.toFixed(4)} (best offset F1 ${best.toFixed(4)})`);
