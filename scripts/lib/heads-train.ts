/**
 * Training the heads of models/heads.bin (src/analyze/heads/model.ts): the complaint detector,
 * the offensive / hate / irony flags and the brand layer, each a small linear model over the
 * shared hashed features plus a few dense inputs, quantised into one 8-column table.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { createFeatureBuffer, extractFeatures, type FeatureConfig } from '../../src/analyze/features/extract.js';
import { tokenize } from '../../src/analyze/features/tokenize.js';
import { DENSE_INDEX, fillDense } from '../../src/analyze/heads/dense.js';
import { DENSE_INPUTS, HEADS_WIDTH, type DenseInput, type HeadName, type HeadSpec, type HeadsHeader, type HeadsModelData } from '../../src/analyze/heads/model.js';
import { createScratch, scoreFeatures, type LinearModel } from '../../src/analyze/sentiment/linear-model.js';
import { findCrisisTerms } from '../../src/analyze/urgency/index.js';
import { binaryFigures, tuneOffset, type BinaryFigures } from './binary.js';
import { classWeights } from './complaint.js';
import { readLabelled, SHARED_DATASETS, TRAIN_DIR, EVAL_DIR } from './data.js';
import { mulberry32, shuffleInPlace } from './linear-train.js';
import { layerLogits, trainLayer, type LayerExample, type LayerWeights } from './layer-train.js';

export const HEADS_BITS = 18;

/** One text as the heads see it: hashed features and every dense input. */
export interface Prepared {
  ids: Int32Array;
  dense: Float64Array;
}

export interface TextInput {
  text: string;
  handles?: string[];
  reply?: boolean;
}

/** Features and dense inputs (head margins left 0) under the shipped general sentiment model. */
export function prepareTexts(items: readonly TextInput[], sentiment: LinearModel): Prepared[] {
  const cfg = sentiment.header.features;
  const buf = createFeatureBuffer();
  const scratch = createScratch(3);
  return items.map((item) => {
    const tokens = tokenize(item.text);
    extractFeatures(tokens, cfg, buf);
    // scoreFeatures adds the model's class offsets, as the analyzer's logits have them.
    scoreFeatures(sentiment, buf, tokens.length, scratch, null, null);
    const logits = scratch.logits;
    const crisis = findCrisisTerms(item.text, new Set());
    const dense = new Float64Array(DENSE_INPUTS.length);
    fillDense(
      {
        text: item.text,
        logits,
        handles: item.handles ?? [],
        reply: item.reply ?? false,
        severeCrisis: crisis.some((c) => c.term.severe),
        moderateCrisis: crisis.some((c) => !c.term.severe),
      },
      dense,
    );
    return { ids: buf.ids.slice(0, buf.n), dense };
  });
}

/** A trained head before quantisation: float sparse columns (2^bits x columns), dense weights, bias. */
export interface FloatHead {
  name: HeadName;
  columns: number;
  sparse: Float32Array;
  inputs: DenseInput[];
  dense: number[];
  bias: number[];
}

export interface HeadTrainOptions {
  epochs: number;
  lr: number;
  l2: number;
  l2Sparse: number;
  seed: number;
  /** Power of the class-balancing weights (1 balanced, 0 plain). */
  balance: number;
}

export const HEAD_OPTS: HeadTrainOptions = { epochs: 6, lr: 0.1, l2: 1e-4, l2Sparse: 1e-4, seed: 20261204, balance: 1 };

function pick(dense: Float64Array, inputs: readonly DenseInput[]): Float64Array {
  return Float64Array.from(inputs, (name) => dense[DENSE_INDEX[name]]!);
}

/**
 * Trains a head: `classes` 2 gives a binary head stored as one margin column (class 1 minus
 * class 0), 3 a three-column head. `weights` multiplies each example's loss weight.
 */
export function trainHead(
  name: HeadName,
  data: readonly Prepared[],
  labels: readonly number[],
  classes: 2 | 3,
  inputs: readonly DenseInput[],
  opts: HeadTrainOptions = HEAD_OPTS,
  weights?: readonly number[],
): FloatHead {
  const cw = classWeights([...labels], classes, opts.balance);
  const examples: LayerExample[] = [];
  data.forEach((d, i) => {
    const weight = cw[labels[i]!]! * (weights?.[i] ?? 1);
    if (weight > 0) examples.push({ dense: pick(d.dense, inputs), ids: d.ids, label: labels[i]!, weight });
  });
  const w = trainLayer(examples, { bits: HEADS_BITS, classes, epochs: opts.epochs, lr: opts.lr, l2: opts.l2, l2Sparse: opts.l2Sparse, seed: opts.seed }, inputs.length);
  return toHead(name, w, [...inputs]);
}

function toHead(name: HeadName, w: LayerWeights, inputs: DenseInput[]): FloatHead {
  const K = inputs.length;
  if (w.classes === 2) {
    const buckets = 1 << w.bits;
    const sparse = new Float32Array(buckets);
    for (let b = 0; b < buckets; b++) sparse[b] = w.sparse[b * 2 + 1]! - w.sparse[b * 2]!;
    const dense = inputs.map((_x, k) => w.dense[K + k]! - w.dense[k]!);
    return { name, columns: 1, sparse, inputs, dense, bias: [w.bias[1]! - w.bias[0]!] };
  }
  return { name, columns: w.classes, sparse: w.sparse, inputs, dense: Array.from(w.dense), bias: Array.from(w.bias) };
}

/** Value of a float head's column for a prepared text (training-time scoring). */
export function headValue(head: FloatHead, d: Prepared, column = 0): number {
  const mask = (1 << HEADS_BITS) - 1;
  const C = head.columns;
  let s = 0;
  for (const id of d.ids) s += head.sparse[(id & mask) * C + column]!;
  let z = s / Math.sqrt(Math.max(1, d.ids.length)) + head.bias[column]!;
  const K = head.inputs.length;
  for (let k = 0; k < K; k++) z += head.dense[column * K + k]! * d.dense[DENSE_INDEX[head.inputs[k]!]]!;
  return z;
}

/** Argmax of a three-column head. */
export function headClass(head: FloatHead, d: Prepared): number {
  const a = headValue(head, d, 0);
  const b = headValue(head, d, 1);
  const c = headValue(head, d, 2);
  return a >= b && a >= c ? 0 : b >= c ? 1 : 2;
}

/** Quantises heads into the shared table (int8 per column with its own scale). */
export function assembleHeads(heads: readonly FloatHead[], features: FeatureConfig, extra: Pick<HeadsHeader, 'trainedOn' | 'settings' | 'metrics'>): HeadsModelData {
  const buckets = 1 << HEADS_BITS;
  const weights = new Int8Array(buckets * HEADS_WIDTH);
  const columnScale = new Array<number>(HEADS_WIDTH).fill(1);
  const specs: HeadSpec[] = [];
  let column = 0;
  for (const head of heads) {
    if (column + head.columns > HEADS_WIDTH) throw new Error(`heads need more than ${HEADS_WIDTH} columns`);
    for (let c = 0; c < head.columns; c++) {
      let max = 0;
      for (let b = 0; b < buckets; b++) max = Math.max(max, Math.abs(head.sparse[b * head.columns + c]!));
      const scale = max > 0 ? max / 127 : 1;
      columnScale[column + c] = scale;
      for (let b = 0; b < buckets; b++) {
        weights[b * HEADS_WIDTH + column + c] = Math.max(-127, Math.min(127, Math.round(head.sparse[b * head.columns + c]! / scale)));
      }
    }
    specs.push({ name: head.name, column, columns: head.columns, bias: head.bias.map(round6), inputs: head.inputs, dense: head.dense.map(round6) });
    column += head.columns;
  }
  const header: HeadsHeader = { format: 'earshot-heads', version: 1, features: { ...features, bits: HEADS_BITS }, width: HEADS_WIDTH, columnScale, heads: specs, ...extra };
  return { header, weights };
}

/** The head as the analyzer will see it after quantisation (for honest training-time figures). */
export function dequantize(model: HeadsModelData, name: HeadName): FloatHead {
  const spec = model.header.heads.find((h) => h.name === name);
  if (!spec) throw new Error(`no head ${name}`);
  const buckets = 1 << HEADS_BITS;
  const sparse = new Float32Array(buckets * spec.columns);
  for (let b = 0; b < buckets; b++) {
    for (let c = 0; c < spec.columns; c++) sparse[b * spec.columns + c] = model.weights[b * HEADS_WIDTH + spec.column + c]! * model.header.columnScale[spec.column + c]!;
  }
  return { name, columns: spec.columns, sparse, inputs: spec.inputs, dense: spec.dense, bias: spec.bias };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

// ---- data -------------------------------------------------------------------------------------

export interface LabelledSet {
  texts: TextInput[];
  labels: number[];
  /** Row ids, in file order. */
  ids: string[];
}

export const FLAG_NAMES = ['offensive', 'hate', 'irony'] as const;
export type FlagName = (typeof FLAG_NAMES)[number];

export function flagSet(flag: FlagName, split: 'train' | 'val'): LabelledSet {
  const file = split === 'train' ? path.join(TRAIN_DIR, `tweeteval_${flag}_train.csv`) : path.join(SHARED_DATASETS, 'moderation', `tweeteval_${flag}_val.csv`);
  const rows = readLabelled(file);
  return { texts: rows.map((r) => ({ text: r.text })), labels: rows.map((r) => (r.label === flag ? 1 : 0)), ids: rows.map((r) => r.id) };
}

/** Davidson et al. 2017, relabelled for one flag: offensive = hate or offensive; hate = hate vs neither. */
export function davidsonSet(flag: 'offensive' | 'hate'): LabelledSet {
  const rows = readLabelled(path.join(TRAIN_DIR, 'davidson2017_hate_offensive.csv'));
  const kept = rows.filter((r) => flag === 'offensive' || r.label !== 'offensive');
  return {
    texts: kept.map((r) => ({ text: r.text })),
    labels: kept.map((r) => (flag === 'offensive' ? (r.label === 'neither' ? 0 : 1) : r.label === 'hate' ? 1 : 0)),
    ids: kept.map((r) => r.id),
  };
}

export const SANDERS_FILE = 'brands_sanders.csv';
export const SANDERS_HANDLES: Record<string, string[]> = { apple: ['apple'], google: ['google'], microsoft: ['microsoft'], twitter: ['twitter'] };

export interface SandersSet extends LabelledSet {
  topics: string[];
}

/** Sanders brand tweets with their topic's handle as the brand's handle, in file order. */
export function sandersSet(): SandersSet {
  const topics = new Map(
    (parse(readFileSync(path.join(TRAIN_DIR, 'brands_sanders.topics.csv'), 'utf8'), { columns: true }) as { id: string; topic: string }[]).map((r) => [r.id, r.topic]),
  );
  const rows = readLabelled(path.join(TRAIN_DIR, SANDERS_FILE));
  const topicOf = rows.map((r) => topics.get(r.id) ?? '');
  return {
    texts: rows.map((r, i) => ({ text: r.text, handles: SANDERS_HANDLES[topicOf[i]!] ?? [] })),
    labels: rows.map((r) => ['negative', 'neutral', 'positive'].indexOf(r.label)),
    ids: rows.map((r) => r.id),
    topics: topicOf,
  };
}

/** The SXSW brand set (evaluation only: never trained or tuned on). */
export function sxswSet(): LabelledSet {
  const rows = readLabelled(path.join(EVAL_DIR, 'brands_sxsw_crowdflower.csv'));
  return { texts: rows.map((r) => ({ text: r.text })), labels: rows.map((r) => ['negative', 'neutral', 'positive'].indexOf(r.label)), ids: rows.map((r) => r.id) };
}

/** The complaint tweets, each addressed to the first @handle it names (they were collected as tweets to companies). */
export function complaintSet(): LabelledSet {
  const rows = readLabelled(path.join(TRAIN_DIR, 'complaints_preotiuc2019.csv'));
  return {
    texts: rows.map((r) => {
      const first = /@(\w+)/.exec(r.text)?.[1];
      return { text: r.text, handles: first ? [first] : [] };
    }),
    labels: rows.map((r) => (r.label === 'complaint' ? 1 : 0)),
    ids: rows.map((r) => r.id),
  };
}

// ---- the recipes ------------------------------------------------------------------------------

export const COMPLAINT_INPUTS: DenseInput[] = ['general.negative', 'general.positive', 'question', 'reply', 'url', 'length'];
export const BRAND_INPUTS: DenseInput[] = [
  'general.negative',
  'general.positive',
  'complaint',
  'irony',
  'addressed',
  'reply',
  'question',
  'url',
  'crisis.severe',
  'crisis.moderate',
  'retweet',
];

/** 10-fold cross-validation of a binary head: held-out margins of every row, in order. */
export function crossValidateBinary(data: readonly Prepared[], labels: readonly number[], inputs: readonly DenseInput[], folds = 10, seed = 20261123): number[] {
  const order = data.map((_d, i) => i);
  shuffleInPlace(order, mulberry32(seed));
  const margins = new Array<number>(data.length).fill(0);
  for (let k = 0; k < folds; k++) {
    const test = order.filter((_i, j) => j % folds === k);
    const held = new Set(test);
    const trainIdx = order.filter((i) => !held.has(i));
    const head = trainHead(
      'complaint',
      trainIdx.map((i) => data[i]!),
      trainIdx.map((i) => labels[i]!),
      2,
      inputs,
    );
    for (const i of test) margins[i] = headValue(head, data[i]!);
  }
  return margins;
}

export function figuresAt(margins: readonly number[], gold: readonly number[], offset = 0): BinaryFigures {
  return binaryFigures(gold, margins.map((m) => (m + offset >= 0 ? 1 : 0)));
}

export { tuneOffset, layerLogits };
