/**
 * A hashed linear (multinomial logistic) model and its compact file format.
 *
 * File layout: the 4 bytes `ESLM`, a little-endian uint32 header length, the header as UTF-8
 * JSON, zero padding to a multiple of 4, then `buckets x classes` int8 weights (class-interleaved,
 * so one bucket's weights share a cache line). A weight is `int8 * header.scale`. Feature values
 * are 1/sqrt(number of features) (L2-normalised binary features), as in training.
 */
import { readFileSync } from 'node:fs';
import type { FeatureBuffer, FeatureConfig } from '../features/extract.js';

export interface LinearModelHeader {
  format: 'earshot-linear';
  version: 1;
  name: string;
  classes: string[];
  features: FeatureConfig;
  /** Multiply an int8 weight by this to get the real weight. */
  scale: number;
  /** Per-class offsets added to the logits (class prior correction tuned on validation data). */
  bias: number[];
  /** Training files and settings, for the record. */
  trainedOn: string[];
  settings?: Record<string, unknown>;
  /** Figures measured at training time (validation), for the record. */
  metrics?: Record<string, number>;
  /** Model-specific data (e.g. the language detector's vocabulary settings). */
  extra?: Record<string, unknown>;
}

export interface LinearModel {
  header: LinearModelHeader;
  weights: Int8Array;
  classes: number;
}

const MAGIC = 'ESLM';

export function encodeLinearModel(header: LinearModelHeader, weights: Int8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerEnd = 8 + json.length;
  const pad = (4 - (headerEnd % 4)) % 4;
  const out = Buffer.alloc(headerEnd + pad + weights.length);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(json.length, 4);
  json.copy(out, 8);
  Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength).copy(out, headerEnd + pad);
  return out;
}

export function decodeLinearModel(data: Buffer, file: string): LinearModel {
  if (data.length < 8 || data.toString('latin1', 0, 4) !== MAGIC) {
    throw new Error(`${file}: not an earshot model file (bad magic); run \`npm run train\` to rebuild models/`);
  }
  const length = data.readUInt32LE(4);
  const header = JSON.parse(data.toString('utf8', 8, 8 + length)) as LinearModelHeader;
  if (header.format !== 'earshot-linear' || header.version !== 1) {
    throw new Error(`${file}: unsupported model format ${String(header.format)} v${String(header.version)}`);
  }
  const start = 8 + length + ((4 - ((8 + length) % 4)) % 4);
  const classes = header.classes.length;
  const expected = (1 << header.features.bits) * classes;
  if (data.length - start !== expected) {
    throw new Error(`${file}: expected ${expected} weights, found ${data.length - start}; the file is truncated or corrupt`);
  }
  // A view of the file's bytes, not a copy: the weights are almost the whole file, and a copy
  // would hold both in memory at start-up (int8 needs no alignment).
  const weights = new Int8Array(data.buffer, data.byteOffset + start, expected);
  return { header, weights, classes };
}

export function loadLinearModel(file: string): LinearModel {
  return decodeLinearModel(readFileSync(file), file);
}

/** Quantises float weights to int8 with one scale (clipping the rare extreme weights). */
export function quantizeWeights(weights: Float32Array | Float64Array): { weights: Int8Array; scale: number } {
  let maxAbs = 0;
  for (const w of weights) maxAbs = Math.max(maxAbs, Math.abs(w));
  const scale = maxAbs > 0 ? maxAbs / 127 : 1;
  const out = new Int8Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    out[i] = Math.max(-127, Math.min(127, Math.round(weights[i]! / scale)));
  }
  return { weights: out, scale };
}

export interface ScoreScratch {
  logits: Float64Array;
  /**
   * Per token: how much its features pull the `pullUp` class logit above the `pullDown` one
   * (for sentiment: positive minus negative), for explanations.
   */
  pull: Float64Array;
}

export function createScratch(classes: number, tokens = 256): ScoreScratch {
  return { logits: new Float64Array(classes), pull: new Float64Array(tokens) };
}

/** A second model scored in the same pass as another (see scoreFeaturesPair). */
export interface CompanionModel {
  model: LinearModel;
  scratch: ScoreScratch;
}

export interface PullSpec {
  up: number;
  down: number;
}

/**
 * Sets `scratch.logits` to the model's logits (with class offsets) for the features in `buf`,
 * and with `pull`, each token's pull between two classes. Features touching a token with
 * `skip[token] = 1` are left out (a brand's vocabulary replaces what the model learned there).
 * Bucket ids are masked to the model's size, so a model with fewer bits can reuse features
 * extracted for a larger one.
 */
export function scoreFeatures(
  model: LinearModel,
  buf: FeatureBuffer,
  tokenCount: number,
  scratch: ScoreScratch,
  skip: Uint8Array | null,
  pull: PullSpec | null,
): void {
  const C = model.classes;
  const w = model.weights;
  const mask = (1 << model.header.features.bits) - 1;
  const logits = scratch.logits;
  logits.fill(0);
  const value = model.header.scale / Math.sqrt(buf.n);
  const ids = buf.ids;
  const owners = buf.owner;
  const spans = buf.span;
  const n = buf.n;
  if (pull === null && skip === null) {
    if (C === 2) {
      let a = 0;
      let b = 0;
      for (let f = 0; f < n; f++) {
        const base = (ids[f]! & mask) * 2;
        a += w[base]!;
        b += w[base + 1]!;
      }
      logits[0] = a * value;
      logits[1] = b * value;
    } else if (C === 3) {
      let a = 0;
      let b = 0;
      let c = 0;
      for (let f = 0; f < n; f++) {
        const base = (ids[f]! & mask) * 3;
        a += w[base]!;
        b += w[base + 1]!;
        c += w[base + 2]!;
      }
      logits[0] = a * value;
      logits[1] = b * value;
      logits[2] = c * value;
    } else {
      for (let f = 0; f < n; f++) {
        const base = (ids[f]! & mask) * C;
        for (let c = 0; c < C; c++) logits[c] = logits[c]! + w[base + c]!;
      }
      for (let c = 0; c < C; c++) logits[c] = logits[c]! * value;
    }
  } else {
    if (scratch.pull.length < tokenCount) scratch.pull = new Float64Array(tokenCount * 2);
    const pulls = scratch.pull;
    pulls.fill(0, 0, tokenCount);
    const up = pull?.up ?? 0;
    const down = pull?.down ?? 0;
    for (let f = 0; f < n; f++) {
      const owner = owners[f]!;
      const span = spans[f]!;
      if (skip !== null && owner >= 0) {
        let skipped = false;
        for (let t = owner; t < owner + span; t++) if (skip[t] === 1) skipped = true;
        if (skipped) continue;
      }
      const base = (ids[f]! & mask) * C;
      for (let c = 0; c < C; c++) logits[c] = logits[c]! + w[base + c]!;
      if (owner < 0 || pull === null) continue;
      const share = (w[base + up]! - w[base + down]!) / span;
      for (let t = owner; t < owner + span; t++) pulls[t] = pulls[t]! + share;
    }
    for (let c = 0; c < C; c++) logits[c] = logits[c]! * value;
    for (let t = 0; t < tokenCount; t++) pulls[t] = pulls[t]! * value;
  }
  const bias = model.header.bias;
  for (let c = 0; c < C; c++) logits[c] = logits[c]! + (bias[c] ?? 0);
}

/**
 * `scoreFeatures(model, buf, …, null, null)` for two models over the same features in one pass.
 * Loading the weights is most of the cost (the tables do not stay in cache between texts), and
 * one loop lets the loads of both models overlap. Sums are integers, so the logits are exactly
 * those of two separate calls.
 */
export function scoreFeaturesPair(first: LinearModel, firstScratch: ScoreScratch, second: LinearModel, secondScratch: ScoreScratch, buf: FeatureBuffer): void {
  if (first.classes !== 3 || second.classes !== 2) {
    scoreFeatures(first, buf, 0, firstScratch, null, null);
    scoreFeatures(second, buf, 0, secondScratch, null, null);
    return;
  }
  const w1 = first.weights;
  const w2 = second.weights;
  const mask1 = (1 << first.header.features.bits) - 1;
  const mask2 = (1 << second.header.features.bits) - 1;
  const ids = buf.ids;
  const n = buf.n;
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let e = 0;
  for (let f = 0; f < n; f++) {
    const id = ids[f]!;
    const base1 = (id & mask1) * 3;
    const base2 = (id & mask2) * 2;
    a += w1[base1]!;
    b += w1[base1 + 1]!;
    c += w1[base1 + 2]!;
    d += w2[base2]!;
    e += w2[base2 + 1]!;
  }
  finishLogits(first, firstScratch.logits, buf.n, a, b, c);
  finishLogits(second, secondScratch.logits, buf.n, d, e, 0);
}

function finishLogits(model: LinearModel, logits: Float64Array, featureCount: number, a: number, b: number, c: number): void {
  const value = model.header.scale / Math.sqrt(featureCount);
  const bias = model.header.bias;
  logits[0] = a * value + (bias[0] ?? 0);
  logits[1] = b * value + (bias[1] ?? 0);
  if (model.classes === 3) logits[2] = c * value + (bias[2] ?? 0);
}

/** Per token: the pull of its features from class `down` to class `up`, for explanations. */
export function tokenPulls(model: LinearModel, buf: FeatureBuffer, tokenCount: number, up: number, down: number, out: Float64Array): void {
  const C = model.classes;
  const w = model.weights;
  const mask = (1 << model.header.features.bits) - 1;
  const value = model.header.scale / Math.sqrt(buf.n);
  out.fill(0, 0, tokenCount);
  const ids = buf.ids;
  const owners = buf.owner;
  const spans = buf.span;
  for (let f = 0; f < buf.n; f++) {
    const owner = owners[f]!;
    if (owner < 0) continue;
    const base = (ids[f]! & mask) * C;
    const d = w[base + up]! - w[base + down]!;
    if (d === 0) continue;
    const span = spans[f]!;
    if (span === 1) {
      out[owner] = out[owner]! + d;
    } else {
      const share = d / span;
      for (let t = owner; t < owner + span; t++) out[t] = out[t]! + share;
    }
  }
  for (let t = 0; t < tokenCount; t++) out[t] = out[t]! * value;
}

/** In-place softmax; returns the index of the largest logit. */
export function softmax(logits: Float64Array): number {
  let best = 0;
  for (let c = 1; c < logits.length; c++) if (logits[c]! > logits[best]!) best = c;
  const max = logits[best]!;
  let sum = 0;
  for (let c = 0; c < logits.length; c++) {
    const e = Math.exp(logits[c]! - max);
    logits[c] = e;
    sum += e;
  }
  for (let c = 0; c < logits.length; c++) logits[c] = logits[c]! / sum;
  return best;
}
