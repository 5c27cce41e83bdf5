/** Flags with dense inputs (general sentiment logits) vs without.  npx tsx scripts/experiments/flags-dense.ts FLAG */
import path from 'node:path';
import { loadLinearModel } from '../../src/analyze/sentiment/linear-model.js';
import { REPO_ROOT } from '../lib/data.js';
import { flagSet, davidsonSet, prepareTexts, trainHead, headValue, figuresAt, tuneOffset, HEAD_OPTS, type FlagName } from '../lib/heads-train.js';
import type { DenseInput } from '../../src/analyze/heads/model.js';

const flag = (process.argv[2] ?? 'irony') as FlagName;
const sent = loadLinearModel(path.join(REPO_ROOT, 'models/sentiment.bin'));
const train = flagSet(flag, 'train');
const val = flagSet(flag, 'val');
const tr = prepareTexts(train.texts, sent);
const va = prepareTexts(val.texts, sent);
const variants: [string, DenseInput[], boolean][] = [
  ['sparse only', [], false],
  ['+general', ['general.negative', 'general.positive'], false],
  ['+general+ctx', ['general.negative', 'general.positive', 'question', 'url', 'length', 'reply'], false],
];
if (flag !== 'irony') variants.push(['+general +davidson0.3', ['general.negative', 'general.positive'], true]);
const dv = flag !== 'irony' ? davidsonSet(flag) : null;
const dp = dv ? prepareTexts(dv.texts, sent) : [];
for (const [name, inputs, withD] of variants) {
  const data = withD ? [...tr, ...dp] : tr;
  const labels = withD ? [...train.labels, ...dv!.labels] : train.labels;
  const weights = withD ? [...train.labels.map(() => 1), ...dv!.labels.map(() => 0.3)] : undefined;
  const head = trainHead(flag, data, labels, 2, inputs, HEAD_OPTS, weights);
  const m = va.map((d) => headValue(head, d));
  const measure = (f: { macroF1: number }) => f.macroF1;
  const off = tuneOffset(m, val.labels, measure);
  const offF1 = tuneOffset(m, val.labels, (f) => f.f1);
  const a = figuresAt(m, val.labels, 0);
  const t = figuresAt(m, val.labels, off);
  const t2 = figuresAt(m, val.labels, offF1);
  console.log(`${flag} ${name}: at0 macroF1 ${a.macroF1.toFixed(4)} F1 ${a.f1.toFixed(4)} | macro-tuned(${off}) macroF1 ${t.macroF1.toFixed(4)} F1 ${t.f1.toFixed(4)} | F1-tuned(${offF1}) F1 ${t2.f1.toFixed(4)} pos-rate ${(m.filter((x) => x + offF1 >= 0).length / m.length).toFixed(2)}`);
}
