/**
 * Trains earshot's analyzer models from ../shared/datasets/train and writes them to models/:
 *
 *   models/sentiment.bin      3-class hashed n-gram logistic regression (general sentiment)
 *   models/heads.bin          complaint, offensive, hate, irony and the brand layer: small models
 *                             over the same features in one table (scripts/lib/heads-recipe.ts)
 *   models/english-words.txt  English word list for language detection
 *
 *   npm run train                      all three
 *   ONLY=sentiment npm run train       one of sentiment | heads | vocabulary (heads reads the sentiment.bin in models/)
 *   DRY=1 npm run train                train and report, write nothing
 *
 * Deterministic (seeded). Never reads the SemEval-2017 test set nor the SXSW brand set; class
 * offsets are tuned on the TweetEval validation split, flag thresholds on moderation/*_val.csv.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FeatureConfig } from '../src/analyze/features/extract.js';
import { tokenize } from '../src/analyze/features/tokenize.js';
import { encodeLinearModel, loadLinearModel, quantizeWeights, type LinearModelHeader } from '../src/analyze/sentiment/linear-model.js';
import { encodeHeads } from '../src/analyze/heads/model.js';
import { SEED, classWeights, COMPLAINT_FILE } from './lib/complaint.js';
import { buildHeads } from './lib/heads-recipe.js';
import { REPO_ROOT, TRAIN_DIR, readLabelled, requireSharedData, SENTIMENT_CLASSES } from './lib/data.js';
import { applyScale, trainLinear, type LinearTrainOptions } from './lib/linear-train.js';
import { featurizeRows, figuresWithBias, honestMacroRecall, logitsOf, naiveBayesScale, readRows, readValidation, tuneBias } from './lib/sentiment-train.js';

/** Chosen on the validation split (see src/analyze/README.md for what was tried). */
export const SENTIMENT_FEATURES: FeatureConfig = { bits: 20, wordNgrams: 3, charMin: 3, charMax: 5, negateChars: true };
const SENTIMENT_FILES = ['tweeteval_sentiment_train.csv', 'tweet_sentiment_extraction_train.csv'];
const SENTIMENT_OPTS = { epochs: 6, lr: 0.1, l2: 1e-4 };
/** NBSVM-style prior: weight scale 1 + 0.5 * naive-Bayes log-ratio (add-1 smoothing). */
const NB_STRENGTH = 0.5;

const DRY = process.env.DRY === '1';

/**
 * Pretraining on the emoticon-labelled Sentiment140 sample (negative / positive only) before the
 * human-labelled data: words seen only there keep what they learned, and the human-labelled
 * tweets then set the three classes. (Mixing the sample into the training data instead lowered
 * the validation figure.)
 */
const PRETRAIN_FILES = ['sentiment140_sample_100k.csv'];
const PRETRAIN_EPOCHS = 2;
const PRETRAIN = process.env.PRETRAIN !== '0';

function pretrain(nb: Float32Array): Float32Array {
  const data = featurizeRows(readRows(TRAIN_DIR, PRETRAIN_FILES), SENTIMENT_FEATURES);
  const cw = classWeights(data.labels, 3, 1).map((w) => (Number.isFinite(w) ? w : 0));
  const examples = data.ids.map((ids, i) => ({ ids, label: data.labels[i]!, weight: cw[data.labels[i]!]! }));
  return trainLinear(examples, {
    bits: SENTIMENT_FEATURES.bits,
    classes: 3,
    seed: SEED + 7,
    ...SENTIMENT_OPTS,
    epochs: PRETRAIN_EPOCHS,
    scale: nb,
  });
}

function trainSentiment(): void {
  const started = Date.now();
  const train = featurizeRows(readRows(TRAIN_DIR, SENTIMENT_FILES), SENTIMENT_FEATURES);
  const cw = classWeights(train.labels, 3, 1);
  const examples = train.ids.map((ids, i) => ({ ids, label: train.labels[i]!, weight: cw[train.labels[i]!]! }));
  const opts: LinearTrainOptions = { bits: SENTIMENT_FEATURES.bits, classes: 3, seed: SEED, ...SENTIMENT_OPTS };
  const nb = naiveBayesScale(train, SENTIMENT_FEATURES.bits, 3, 1, NB_STRENGTH);
  const init = PRETRAIN ? pretrain(nb) : undefined;
  const { weights, scale } = quantizeWeights(applyScale(trainLinear(examples, { ...opts, scale: nb, init }), nb));
  // Tune and report with the quantised weights the analyzer will use.
  const deq = Float32Array.from(weights, (q) => q * scale);
  const val = readValidation(SENTIMENT_FEATURES);
  const logits = logitsOf(deq, val);
  const bias = tuneBias(logits, val.labels);
  const tuned = figuresWithBias(logits, val.labels, bias);
  const honest = honestMacroRecall(logits, val.labels);
  console.log(
    `sentiment: ${train.ids.length} texts, ${((Date.now() - started) / 1000).toFixed(0)} s; validation macro-recall ${tuned.macroRecall.toFixed(4)} (offsets tuned on it: ${JSON.stringify(bias)}; ${honest.toFixed(4)} when tuned on the other half), macro-F1 ${tuned.macroF1.toFixed(4)}, negative F1 ${tuned.perClass[0]!.f1.toFixed(4)}`,
  );
  const header: LinearModelHeader = {
    format: 'earshot-linear',
    version: 1,
    name: 'sentiment',
    classes: [...SENTIMENT_CLASSES],
    features: SENTIMENT_FEATURES,
    scale,
    bias,
    trainedOn: PRETRAIN ? [...PRETRAIN_FILES.map((f) => `${f} (pretraining, ${PRETRAIN_EPOCHS} epochs)`), ...SENTIMENT_FILES] : SENTIMENT_FILES,
    settings: { ...opts, naiveBayesStrength: NB_STRENGTH, classWeights: cw.map((w) => Math.round(w * 1000) / 1000), offsetsTunedOn: 'tweeteval_sentiment_val.csv' },
    metrics: { valMacroRecall: tuned.macroRecall, valMacroRecallHonest: honest, valMacroF1: tuned.macroF1, valNegativeF1: tuned.perClass[0]!.f1 },
  };
  writeModel('sentiment.bin', encodeLinearModel(header, weights));
}

function trainHeads(): void {
  const started = Date.now();
  const sentiment = loadLinearModel(path.join(REPO_ROOT, 'models', 'sentiment.bin'));
  const build = buildHeads(sentiment, (line) => console.log(line));
  console.log(`heads: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  writeModel('heads.bin', encodeHeads(build.model.header, build.model.weights));
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
  console.log(`english vocabulary: ${words.length} words`);
  const header = `# English words seen at least ${VOCAB_MIN_COUNT} times in ${VOCAB_FILES.join(', ')} (built by scripts/train.ts)\n`;
  writeModel('english-words.txt', Buffer.from(header + words.join('\n') + '\n', 'utf8'));
}

function writeModel(name: string, data: Buffer): void {
  if (DRY) return;
  const dir = path.join(REPO_ROOT, 'models');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), data);
  console.log(`wrote models/${name} (${(data.length / 1024 / 1024).toFixed(2)} MB)`);
}

function main(): void {
  if (!requireSharedData(TRAIN_DIR, 'train')) return;
  const only = process.env.ONLY;
  if (!only || only === 'vocabulary') buildEnglishVocabulary();
  if (!only || only === 'sentiment') trainSentiment();
  if (!only || only === 'heads') trainHeads();
}

main();
