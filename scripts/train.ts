/**
 * Trains earshot's analyzer models from ../shared/datasets/train and writes them to models/.
 *
 *   npm run train
 *
 * Deterministic (seeded). Never reads the SemEval-2017 test set; class offsets are tuned on the
 * TweetEval validation split only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FeatureConfig } from '../src/analyze/features/extract.js';
import { encodeLinearModel, quantizeWeights, type LinearModelHeader } from '../src/analyze/sentiment/linear-model.js';
import {
  EVAL_DIR,
  REPO_ROOT,
  TRAIN_DIR,
  readLabelled,
  requireSharedData,
  sentimentIndex,
  SENTIMENT_CLASSES,
} from './lib/data.js';
import { featurize } from './lib/featurize.js';
import { tokenize } from '../src/analyze/features/tokenize.js';
import { trainLinear, predictLogits, type TrainExample, type LinearTrainOptions, mulberry32, shuffleInPlace } from './lib/linear-train.js';
import { computeFigures } from './lib/metrics.js';
import { SEED, classWeights, COMPLAINT_FEATURES, COMPLAINT_FILE, COMPLAINT_OPTS, complaintData, crossValidateComplaint, fitComplaint } from './lib/complaint.js';


export const SENTIMENT_FEATURES: FeatureConfig = {
  bits: Number(process.env.BITS ?? 20),
  wordNgrams: Number(process.env.NGRAMS ?? 3),
  charMin: Number(process.env.CMIN ?? 3),
  charMax: Number(process.env.CMAX ?? 5),
  negateChars: process.env.NEGCHARS !== '0',
};

const SENTIMENT_TRAIN = (process.env.TRAIN_FILES ?? 'tweeteval_sentiment_train.csv,tweet_sentiment_extraction_train.csv').split(',');


/** Per-class logit offsets maximising macro-recall on validation data (coarse grid). */
function tuneBias(logits: Float64Array[], gold: number[]): number[] {
  let best = { score: -1, bias: [0, 0, 0] };
  for (let bn = -1.5; bn <= 1.5001; bn += 0.05) {
    for (let bp = -1.5; bp <= 1.5001; bp += 0.05) {
      const pred = logits.map((l) => argmax3(l[0]! + bn, l[1]!, l[2]! + bp));
      const f = computeFigures(gold, pred, 3);
      const score = f.macroRecall;
      if (score > best.score + 1e-9) best = { score, bias: [round(bn), 0, round(bp)] };
    }
  }
  return best.bias;
}

function argmax3(a: number, b: number, c: number): number {
  if (a >= b && a >= c) return 0;
  return b >= c ? 1 : 2;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function trainSentiment(): void {
  const started = Date.now();
  const rows = SENTIMENT_TRAIN.flatMap((f) => readLabelled(path.join(TRAIN_DIR, f)).map((r) => ({ ...r, file: f })));
  const labels = rows.map((r) => sentimentIndex(r.label, r.file));
  const ids = featurize(
    rows.map((r) => r.text),
    SENTIMENT_FEATURES,
  );
  const cw = classWeights(labels, 3, Number(process.env.BALANCE ?? 1));
  const examples: TrainExample[] = ids.map((x, i) => ({ ids: x, label: labels[i]!, weight: cw[labels[i]!]! }));
  const opts: LinearTrainOptions = {
    bits: SENTIMENT_FEATURES.bits,
    classes: 3,
    epochs: Number(process.env.EPOCHS ?? 6),
    lr: Number(process.env.LR ?? 0.1),
    l2: Number(process.env.L2 ?? 1e-4),
    seed: SEED,
  };
  const w = trainLinear(examples, opts);
  const { weights, scale } = quantizeWeights(w);
  const deq = new Float32Array(weights.length);
  for (let i = 0; i < weights.length; i++) deq[i] = weights[i]! * scale;

  const valFile = path.join(EVAL_DIR, 'tweeteval_sentiment_val.csv');
  const val = readLabelled(valFile);
  const valGold = val.map((r) => sentimentIndex(r.label, valFile));
  const valIds = featurize(
    val.map((r) => r.text),
    SENTIMENT_FEATURES,
  );
  const valLogits = valIds.map((x) => {
    const out = new Float64Array(3);
    predictLogits(deq, x, 3, out);
    return out;
  });
  const raw = computeFigures(valGold, valLogits.map((l) => argmax3(l[0]!, l[1]!, l[2]!)), 3);
  const bias = tuneBias(valLogits, valGold);
  const tuned = computeFigures(valGold, valLogits.map((l) => argmax3(l[0]! + bias[0]!, l[1]!, l[2]! + bias[2]!)), 3);
  console.log(
    `sentiment: ${rows.length} texts, ${((Date.now() - started) / 1000).toFixed(1)} s; validation macro-recall ${raw.macroRecall.toFixed(4)} -> ${tuned.macroRecall.toFixed(4)} with offsets ${JSON.stringify(bias)}; macro-F1 ${tuned.macroF1.toFixed(4)}, neg F1 ${tuned.perClass[0]!.f1.toFixed(4)}, acc ${tuned.accuracy.toFixed(4)}`,
  );
  const header: LinearModelHeader = {
    format: 'earshot-linear',
    version: 1,
    name: 'sentiment',
    classes: [...SENTIMENT_CLASSES],
    features: SENTIMENT_FEATURES,
    scale,
    bias,
    trainedOn: SENTIMENT_TRAIN,
    settings: { ...opts, classWeights: cw },
    metrics: { valMacroRecall: tuned.macroRecall, valMacroF1: tuned.macroF1, valNegativeF1: tuned.perClass[0]!.f1 },
  };
  if (process.env.DRY === '1') return;
  writeModel('sentiment.bin', encodeLinearModel(header, weights));
}

function writeModel(name: string, data: Buffer): void {
  const dir = path.join(REPO_ROOT, 'models');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), data);
  console.log(`wrote models/${name} (${(data.length / 1024 / 1024).toFixed(2)} MB)`);
}

function trainComplaint(): void {
  const started = Date.now();
  const cv = crossValidateComplaint();
  const { ids, labels } = complaintData();
  const w = fitComplaint(ids, labels);
  const { weights, scale } = quantizeWeights(w);
  console.log(
    `complaint: ${ids.length} texts, 10-fold CV complaint F1 ${cv.f1.toFixed(4)} (accuracy ${cv.accuracy.toFixed(4)}), ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const header: LinearModelHeader = {
    format: 'earshot-linear',
    version: 1,
    name: 'complaint',
    classes: ['not_complaint', 'complaint'],
    features: COMPLAINT_FEATURES,
    scale,
    bias: [0, 0],
    trainedOn: [COMPLAINT_FILE],
    settings: { ...COMPLAINT_OPTS, seed: SEED, balanced: true },
    metrics: { cvComplaintF1: cv.f1, cvAccuracy: cv.accuracy },
  };
  if (process.env.DRY === '1') return;
  writeModel('complaint.bin', encodeLinearModel(header, weights));
}

/** English word list for language detection: words seen at least 3 times in the English training tweets. */
const VOCAB_FILES = ['tweeteval_sentiment_train.csv', 'tweet_sentiment_extraction_train.csv', 'sentiment140_sample_100k.csv', COMPLAINT_FILE];
const VOCAB_MIN_COUNT = 3;
const VOCAB_MAX = 40_000;

function buildEnglishVocabulary(): void {
  const counts = new Map<string, number>();
  for (const f of VOCAB_FILES) {
    for (const row of readLabelled(path.join(TRAIN_DIR, f))) {
      for (const t of tokenize(row.text)) {
        if (t.kind !== 'word' || t.norm.length < 2) continue;
        counts.set(t.norm, (counts.get(t.norm) ?? 0) + 1);
      }
    }
  }
  const words = [...counts.entries()]
    .filter(([, n]) => n >= VOCAB_MIN_COUNT)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, VOCAB_MAX)
    .map(([w]) => w)
    .sort();
  const header = `# English words seen at least ${VOCAB_MIN_COUNT} times in ${VOCAB_FILES.join(', ')} (built by scripts/train.ts)\n`;
  console.log(`english vocabulary: ${words.length} words`);
  if (process.env.DRY === '1') return;
  const data = Buffer.from(header + words.join('\n') + '\n', 'utf8');
  writeModel('english-words.txt', data);
}

const only = process.env.ONLY;
if (requireSharedData(TRAIN_DIR, 'train')) {
  if (!only || only === 'vocabulary') buildEnglishVocabulary();
  if (!only || only === 'sentiment') trainSentiment();
  if (!only || only === 'complaint') trainComplaint();
}
