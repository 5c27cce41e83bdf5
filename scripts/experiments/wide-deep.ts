/**
 * Experiment (not part of the shipped model): the sparse n-gram model plus a small dense network
 * over word vectors learned from all the training text (skip-gram, scripts/lib/embeddings.ts),
 * trained jointly. Reads the training files and the TweetEval validation split only; prints
 * validation figures. Results are in src/analyze/README.md ("What was tried").
 *
 *   npx tsx scripts/experiments/wide-deep.ts              n-grams + dense network, jointly
 *   DENSE=0 npx tsx scripts/experiments/wide-deep.ts      n-grams only (the reference)
 *   SPARSE=0 PRE_DENSE=1 npx tsx …                        the dense network alone
 *   DIM, HIDDEN, EPOCHS, DENSE_LR, EMB_EPOCHS             sizes and rates
 *
 * Word vectors and validation logits are cached in /tmp/earshot-exp/.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createFeatureBuffer, extractFeatures } from '../../src/analyze/features/extract.js';
import { tokenize, type Token } from '../../src/analyze/features/tokenize.js';
import { classWeights, SEED } from '../lib/complaint.js';
import { EVAL_DIR, TRAIN_DIR, readLabelled, sentimentIndex } from '../lib/data.js';
import { nearest, trainEmbeddings, type Embeddings } from '../lib/embeddings.js';
import { mulberry32, shuffleInPlace, softmaxGradient } from '../lib/linear-train.js';
import { computeFigures } from '../lib/metrics.js';
import { figuresWithBias, honestMacroRecall, naiveBayesScale, tuneBias } from '../lib/sentiment-train.js';
import type { FeatureConfig } from '../../src/analyze/features/extract.js';

const SENTIMENT_FEATURES: FeatureConfig = { bits: 20, wordNgrams: 3, charMin: 3, charMax: 5, negateChars: true };

const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);
const DIM = env('DIM', 48);
const HIDDEN = env('HIDDEN', 64);
const EPOCHS = env('EPOCHS', 6);
const DENSE_LR = env('DENSE_LR', 0.02);
const USE_DENSE = env('DENSE', 1) === 1;
const EMB_EPOCHS = env('EMB_EPOCHS', 3);
const USE_SPARSE = env('SPARSE', 1) === 1;
const OUT = '/tmp/earshot-exp';

interface Row {
  tokens: Token[];
  ids: Int32Array;
  label: number;
}

function load(dir: string, files: string[], withFeatures = true): Row[] {
  const buf = createFeatureBuffer();
  const out: Row[] = [];
  for (const f of files) {
    for (const r of readLabelled(path.join(dir, f))) {
      const tokens = tokenize(r.text);
      const n = withFeatures ? extractFeatures(tokens, SENTIMENT_FEATURES, buf) : 0;
      out.push({ tokens, ids: buf.ids.slice(0, n), label: f.startsWith('complaints') ? -1 : sentimentIndex(r.label, f) });
    }
  }
  return out;
}

function embeddingWord(t: Token): string | null {
  if (t.kind === 'punct' || t.kind === 'url' || t.kind === 'mention' || t.kind === 'number') return null;
  return t.norm;
}

function getEmbeddings(all: Row[][]): Embeddings {
  const cache = `${OUT}/emb-${DIM}-${EMB_EPOCHS}.json`;
  if (existsSync(cache)) {
    const j = JSON.parse(readFileSync(cache, 'utf8')) as { words: string[]; vectors: number[]; counts: number[] };
    return { words: j.words, index: new Map(j.words.map((w, i) => [w, i])), dim: DIM, vectors: Float32Array.from(j.vectors), counts: j.counts };
  }
  const sentences = all.flat().map((r) => r.tokens.map(embeddingWord).filter((w): w is string => w !== null));
  const t0 = Date.now();
  const e = trainEmbeddings(sentences, { dim: DIM, window: 5, negatives: 5, epochs: EMB_EPOCHS, lr: 0.025, minCount: 3, sample: 1e-4, seed: SEED });
  console.log(`embeddings: ${e.words.length} words x ${DIM}, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  for (const w of ['good', 'terrible', 'rude', 'love', 'broken', 'sick', 'iphone']) console.log(`  ${w}: ${nearest(e, w, 6).join(' ')}`);
  writeFileSync(cache, JSON.stringify({ words: e.words, vectors: [...e.vectors], counts: e.counts }));
  return e;
}

/** Dense input: mean of plain word vectors, mean of negated ones, element-wise max. */
function denseInput(e: Embeddings, tokens: Token[], out: Float32Array): void {
  const D = e.dim;
  out.fill(0);
  for (let d = 0; d < D; d++) out[2 * D + d] = -1;
  let plain = 0;
  let negated = 0;
  for (const t of tokens) {
    const w = embeddingWord(t);
    if (w === null) continue;
    const i = e.index.get(w);
    if (i === undefined) continue;
    const off = t.negated ? D : 0;
    if (t.negated) negated++;
    else plain++;
    for (let d = 0; d < D; d++) {
      const v = e.vectors[i * D + d]!;
      out[off + d] = out[off + d]! + v;
      if (v > out[2 * D + d]!) out[2 * D + d] = v;
    }
  }
  if (plain > 0) for (let d = 0; d < D; d++) out[d] = out[d]! / plain;
  if (negated > 0) for (let d = 0; d < D; d++) out[D + d] = out[D + d]! / negated;
  if (plain + negated === 0) for (let d = 0; d < D; d++) out[2 * D + d] = 0;
}

interface Model {
  w: Float32Array;
  g2: Float32Array;
  scale: Float32Array;
  W1: Float32Array;
  b1: Float32Array;
  W2: Float32Array;
  b2: Float32Array;
  gW1: Float32Array;
  gb1: Float32Array;
  gW2: Float32Array;
  gb2: Float32Array;
}

const C = 3;

function createModel(bits: number, inputs: number, scale: Float32Array, seed: number): Model {
  const random = mulberry32(seed);
  const W1 = new Float32Array(HIDDEN * inputs);
  for (let i = 0; i < W1.length; i++) W1[i] = (random() * 2 - 1) * Math.sqrt(6 / (inputs + HIDDEN));
  const W2 = new Float32Array(C * HIDDEN);
  for (let i = 0; i < W2.length; i++) W2[i] = (random() * 2 - 1) * Math.sqrt(6 / (HIDDEN + C));
  const size = (1 << bits) * C;
  return {
    w: new Float32Array(size),
    g2: new Float32Array(size).fill(1e-6),
    scale,
    W1,
    b1: new Float32Array(HIDDEN),
    W2,
    b2: new Float32Array(C),
    gW1: new Float32Array(W1.length).fill(1e-6),
    gb1: new Float32Array(HIDDEN).fill(1e-6),
    gW2: new Float32Array(W2.length).fill(1e-6),
    gb2: new Float32Array(C).fill(1e-6),
  };
}

const hidden = new Float32Array(256);

function forward(m: Model, ids: Int32Array, x: Float32Array | null, logits: Float64Array): void {
  logits.fill(0);
  const v = 1 / Math.sqrt(ids.length);
  if (USE_SPARSE) {
    for (const id of ids) {
      const base = id * C;
      for (let c = 0; c < C; c++) logits[c] = logits[c]! + m.w[base + c]! * m.scale[base + c]! * v;
    }
  }
  if (!x) return;
  const I = x.length;
  for (let h = 0; h < HIDDEN; h++) {
    let z = m.b1[h]!;
    for (let i = 0; i < I; i++) z += m.W1[h * I + i]! * x[i]!;
    hidden[h] = Math.tanh(z);
  }
  for (let c = 0; c < C; c++) {
    let z = m.b2[c]!;
    for (let h = 0; h < HIDDEN; h++) z += m.W2[c * HIDDEN + h]! * hidden[h]!;
    logits[c] = logits[c]! + z;
  }
}

const dh = new Float32Array(256);

function adagrad(p: Float32Array, g2: Float32Array, k: number, grad: number, lr: number): void {
  g2[k] = g2[k]! + grad * grad;
  p[k] = p[k]! - (lr * grad) / Math.sqrt(g2[k]!);
}

function train(m: Model, rows: Row[], xs: Float32Array[] | null, epochs: number, weights: number[], seed: number, sparseOnly: boolean): void {
  const order = rows.map((_r, i) => i);
  const random = mulberry32(seed);
  const logits = new Float64Array(C);
  const lr = 0.1;
  const l2 = 1e-4;
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffleInPlace(order, random);
    for (const index of order) {
      const row = rows[index]!;
      const x = xs && !sparseOnly ? xs[index]! : null;
      forward(m, row.ids, x, logits);
      softmaxGradient(logits, C, row.label, weights[row.label]!);
      const v = 1 / Math.sqrt(row.ids.length);
      if (USE_SPARSE) {
        for (const id of row.ids) {
          const base = id * C;
          for (let c = 0; c < C; c++) {
            const k = base + c;
            adagrad(m.w, m.g2, k, logits[c]! * v * m.scale[k]! + l2 * m.w[k]!, lr);
          }
        }
      }
      if (!x) continue;
      const I = x.length;
      dh.fill(0, 0, HIDDEN);
      for (let c = 0; c < C; c++) {
        const g = logits[c]!;
        adagrad(m.b2, m.gb2, c, g, DENSE_LR);
        for (let h = 0; h < HIDDEN; h++) {
          const k = c * HIDDEN + h;
          dh[h] = dh[h]! + g * m.W2[k]!;
          adagrad(m.W2, m.gW2, k, g * hidden[h]! + 1e-5 * m.W2[k]!, DENSE_LR);
        }
      }
      for (let h = 0; h < HIDDEN; h++) {
        const g = dh[h]! * (1 - hidden[h]! * hidden[h]!);
        if (g === 0) continue;
        adagrad(m.b1, m.gb1, h, g, DENSE_LR);
        for (let i = 0; i < I; i++) {
          const k = h * I + i;
          adagrad(m.W1, m.gW1, k, g * x[i]! + 1e-5 * m.W1[k]!, DENSE_LR);
        }
      }
    }
  }
}

function main(): void {
  mkdirSync(OUT, { recursive: true });
  const t0 = Date.now();
  const trainRows = load(TRAIN_DIR, ['tweeteval_sentiment_train.csv', 'tweet_sentiment_extraction_train.csv']);
  const pre = load(TRAIN_DIR, ['sentiment140_sample_100k.csv']);
  const complaints = load(TRAIN_DIR, ['complaints_preotiuc2019.csv'], false);
  const val = load(EVAL_DIR, ['tweeteval_sentiment_val.csv']);
  console.log(`loaded in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const e = getEmbeddings([trainRows, pre, complaints]);
  const inputs = 3 * e.dim;
  const dense = (rows: Row[]): Float32Array[] =>
    rows.map((r) => {
      const x = new Float32Array(inputs);
      denseInput(e, r.tokens, x);
      return x;
    });
  const xTrain = USE_DENSE ? dense(trainRows) : null;
  const xPre = USE_DENSE ? dense(pre) : null;
  const xVal = USE_DENSE ? dense(val) : null;

  const nb = naiveBayesScale({ ids: trainRows.map((r) => r.ids), kinds: [], labels: trainRows.map((r) => r.label) }, SENTIMENT_FEATURES.bits, 3, 1, 0.5);
  const m = createModel(SENTIMENT_FEATURES.bits, inputs, nb, SEED);
  const preW = classWeights(pre.map((r) => r.label), 3, 1).map((w) => (Number.isFinite(w) ? w : 0));
  const t1 = Date.now();
  train(m, pre, xPre, 2, preW, SEED + 7, env('PRE_DENSE', 0) !== 1);
  const cw = classWeights(trainRows.map((r) => r.label), 3, 1);
  train(m, trainRows, xTrain, EPOCHS, cw, SEED, false);
  console.log(`trained in ${((Date.now() - t1) / 1000).toFixed(0)} s`);

  const logits = val.map((r, i) => {
    const out = new Float64Array(3);
    forward(m, r.ids, xVal ? xVal[i]! : null, out);
    return out;
  });
  const gold = val.map((r) => r.label);
  const bias = tuneBias(logits, gold);
  const tuned = figuresWithBias(logits, gold, bias);
  const raw = computeFigures(gold, logits.map((l) => (l[0]! >= l[1]! && l[0]! >= l[2]! ? 0 : l[1]! >= l[2]! ? 1 : 2)), 3);
  writeFileSync(`${OUT}/val-logits-${USE_SPARSE ? 1 : 0}${USE_DENSE ? 1 : 0}-${DIM}-${HIDDEN}.json`, JSON.stringify(logits.map((l) => [...l])));
  console.log(
    `SPARSE=${USE_SPARSE ? 1 : 0} DENSE=${USE_DENSE ? 1 : 0} DIM=${DIM} HIDDEN=${HIDDEN} EPOCHS=${EPOCHS} DENSE_LR=${DENSE_LR}: val macro-recall raw ${raw.macroRecall.toFixed(4)}, tuned ${tuned.macroRecall.toFixed(4)} ${JSON.stringify(bias)}, honest ${honestMacroRecall(logits, gold).toFixed(4)}, neg F1 ${tuned.perClass[0]!.f1.toFixed(4)}, macro-F1 ${tuned.macroF1.toFixed(4)}`,
  );
}

main();
