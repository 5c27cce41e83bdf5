/**
 * The "heads" model (models/heads.bin): several small linear models that share one hashed
 * weight table, scored in one pass over the features the sentiment model already extracted.
 *
 * Loading weights is most of the cost of a linear model (the tables do not stay in cache between
 * texts), so the complaint detector, the three flags (offensive, hate, irony) and the brand layer
 * keep their weights for one bucket side by side: one pass, one cache line per feature, for all of
 * them. Each head may also take a few dense inputs (the general sentiment logits, another head's
 * margin, "addressed to the brand's handle"...) with float weights kept in the header.
 *
 * File layout: the 4 bytes `ESHM`, a little-endian uint32 header length, the header as UTF-8 JSON,
 * zero padding to a multiple of 4, then `buckets x width` int8 weights (bucket-major). Column c of
 * a bucket is `int8 * columnScale[c]`.
 */
import { readFileSync } from 'node:fs';
import type { FeatureBuffer, FeatureConfig } from '../features/extract.js';

/** Dense inputs a head may use; computed by the analyzer for each text (see dense.ts). */
export const DENSE_INPUTS = [
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
  'length',
] as const;
export type DenseInput = (typeof DENSE_INPUTS)[number];

export type HeadName = 'complaint' | 'offensive' | 'hate' | 'irony' | 'brand';

export interface HeadSpec {
  name: HeadName;
  /** First column of this head in the table; a head has 1 column (a binary margin) or 3 (negative, neutral, positive). */
  column: number;
  columns: number;
  /** Added to each column's value (class offsets, tuned thresholds folded in). */
  bias: number[];
  /** Dense inputs and their weights, `columns x inputs.length` row-major. */
  inputs: DenseInput[];
  dense: number[];
}

export interface HeadsHeader {
  format: 'earshot-heads';
  version: 1;
  /** Features as extracted for the sentiment model; ids are masked to `bits` here. */
  features: FeatureConfig;
  width: number;
  /** Multiply a column's int8 weight by its scale. */
  columnScale: number[];
  heads: HeadSpec[];
  trainedOn: string[];
  settings?: Record<string, unknown>;
  metrics?: Record<string, number>;
}

export interface HeadsModelData {
  header: HeadsHeader;
  weights: Int8Array;
}

const MAGIC = 'ESHM';
/** The table is 8 columns wide: one 8-byte load per feature covers every head. */
export const HEADS_WIDTH = 8;

export function encodeHeads(header: HeadsHeader, weights: Int8Array): Buffer {
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

export function decodeHeads(data: Buffer, file: string): HeadsModelData {
  if (data.length < 8 || data.toString('latin1', 0, 4) !== MAGIC) {
    throw new Error(`${file}: not an earshot heads model (bad magic); run \`npm run train\` to rebuild models/`);
  }
  const length = data.readUInt32LE(4);
  const header = JSON.parse(data.toString('utf8', 8, 8 + length)) as HeadsHeader;
  if (header.format !== 'earshot-heads' || header.version !== 1) {
    throw new Error(`${file}: unsupported heads model format ${String(header.format)} v${String(header.version)}`);
  }
  const start = 8 + length + ((4 - ((8 + length) % 4)) % 4);
  const expected = (1 << header.features.bits) * header.width;
  if (data.length - start !== expected) {
    throw new Error(`${file}: expected ${expected} weights, found ${data.length - start}; the file is truncated or corrupt`);
  }
  for (const head of header.heads) {
    for (const input of head.inputs) {
      if (!(DENSE_INPUTS as readonly string[]).includes(input)) throw new Error(`${file}: head ${head.name} uses unknown input ${input}`);
    }
  }
  return { header, weights: new Int8Array(data.buffer, data.byteOffset + start, expected) };
}

export function loadHeads(file: string): HeadsModelData {
  return decodeHeads(readFileSync(file), file);
}

/** A head ready to evaluate: input indices resolved once. */
interface CompiledHead {
  spec: HeadSpec;
  inputIndex: Int32Array;
}

export class HeadsModel {
  readonly header: HeadsHeader;
  private readonly weights: Int8Array;
  private readonly mask: number;
  /** The weight table and its bucket mask, for scoreSentimentAndHeads. */
  get table(): Int8Array {
    return this.weights;
  }
  get tableMask(): number {
    return this.mask;
  }
  private readonly heads = new Map<HeadName, CompiledHead>();
  /** Raw int sums of the last scored text, one per column. */
  readonly sums = new Float64Array(HEADS_WIDTH);
  private featureCount = 1;

  constructor(data: HeadsModelData) {
    if (data.header.width !== HEADS_WIDTH) throw new Error(`heads model must be ${HEADS_WIDTH} columns wide, is ${data.header.width}`);
    this.header = data.header;
    this.weights = data.weights;
    this.mask = (1 << data.header.features.bits) - 1;
    for (const spec of data.header.heads) {
      this.heads.set(spec.name, { spec, inputIndex: Int32Array.from(spec.inputs, (name) => (DENSE_INPUTS as readonly string[]).indexOf(name)) });
    }
  }

  has(name: HeadName): boolean {
    return this.heads.has(name);
  }

  /** True when features extracted with `other` settings serve this model (same n-grams, at least as many bits). */
  canShare(other: FeatureConfig): boolean {
    const mine = this.header.features;
    return other.bits >= mine.bits && other.wordNgrams === mine.wordNgrams && other.charMin === mine.charMin && other.charMax === mine.charMax && other.negateChars === mine.negateChars;
  }

  /** Sums every column over the features in `buf` (one pass). */
  score(buf: FeatureBuffer): void {
    const w = this.weights;
    const mask = this.mask;
    const ids = buf.ids;
    const n = buf.n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let s6 = 0;
    let s7 = 0;
    for (let f = 0; f < n; f++) {
      const base = (ids[f]! & mask) << 3;
      s0 += w[base]!;
      s1 += w[base + 1]!;
      s2 += w[base + 2]!;
      s3 += w[base + 3]!;
      s4 += w[base + 4]!;
      s5 += w[base + 5]!;
      s6 += w[base + 6]!;
      s7 += w[base + 7]!;
    }
    this.setSums(n, s0, s1, s2, s3, s4, s5, s6, s7);
  }

  /** Stores the column sums of a pass made elsewhere (see scoreSentimentAndHeads). */
  setSums(n: number, s0: number, s1: number, s2: number, s3: number, s4: number, s5: number, s6: number, s7: number): void {
    const sums = this.sums;
    sums[0] = s0;
    sums[1] = s1;
    sums[2] = s2;
    sums[3] = s3;
    sums[4] = s4;
    sums[5] = s5;
    sums[6] = s6;
    sums[7] = s7;
    this.featureCount = Math.max(1, n);
  }

  /**
   * Value of one column of a head for the last scored text: the sparse part, the bias, and the
   * dense inputs (`dense[k]` is the value of DENSE_INPUTS[k]).
   */
  value(name: HeadName, dense: Float64Array | null, column = 0): number {
    const head = this.heads.get(name);
    if (head === undefined) return 0;
    const spec = head.spec;
    const c = spec.column + column;
    let z = (this.sums[c]! * this.header.columnScale[c]!) / Math.sqrt(this.featureCount) + spec.bias[column]!;
    const k = head.inputIndex.length;
    if (k > 0 && dense !== null) {
      const row = column * k;
      for (let i = 0; i < k; i++) z += spec.dense[row + i]! * dense[head.inputIndex[i]!]!;
    }
    return z;
  }

  /**
   * Per token: how much the sparse weights of `column` (minus `minus`, when given) pull, for
   * quoting the words behind a head's decision.
   */
  tokenPulls(buf: FeatureBuffer, tokenCount: number, name: HeadName, column: number, minus: number | null, out: Float64Array): void {
    const head = this.heads.get(name);
    out.fill(0, 0, tokenCount);
    if (head === undefined) return;
    const c = head.spec.column + column;
    const m = minus === null ? -1 : head.spec.column + minus;
    const w = this.weights;
    const mask = this.mask;
    const norm = 1 / Math.sqrt(Math.max(1, buf.n));
    const sc = this.header.columnScale[c]! * norm;
    const sm = m >= 0 ? this.header.columnScale[m]! * norm : 0;
    for (let f = 0; f < buf.n; f++) {
      const owner = buf.owner[f]!;
      if (owner < 0) continue;
      const base = (buf.ids[f]! & mask) << 3;
      const d = w[base + c]! * sc - (m >= 0 ? w[base + m]! * sm : 0);
      if (d === 0) continue;
      const span = buf.span[f]!;
      const share = d / span;
      for (let t = owner; t < owner + span && t < tokenCount; t++) out[t] = out[t]! + share;
    }
  }
}

/**
 * The general sentiment model (3 classes, `logits` get its class offsets) and every head, summed
 * in one pass over the shared features: the loads of both tables overlap.
 */
export function scoreSentimentAndHeads(sentiment: { weights: Int8Array; header: { features: FeatureConfig; scale: number; bias: number[] } }, logits: Float64Array, heads: HeadsModel, buf: FeatureBuffer): void {
  const w1 = sentiment.weights;
  const w2 = heads.table;
  const mask1 = (1 << sentiment.header.features.bits) - 1;
  const mask2 = heads.tableMask;
  const ids = buf.ids;
  const n = buf.n;
  let a = 0;
  let b = 0;
  let c = 0;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let s5 = 0;
  let s6 = 0;
  let s7 = 0;
  for (let f = 0; f < n; f++) {
    const id = ids[f]!;
    const base1 = (id & mask1) * 3;
    const base2 = (id & mask2) << 3;
    a += w1[base1]!;
    b += w1[base1 + 1]!;
    c += w1[base1 + 2]!;
    s0 += w2[base2]!;
    s1 += w2[base2 + 1]!;
    s2 += w2[base2 + 2]!;
    s3 += w2[base2 + 3]!;
    s4 += w2[base2 + 4]!;
    s5 += w2[base2 + 5]!;
    s6 += w2[base2 + 6]!;
    s7 += w2[base2 + 7]!;
  }
  const value = sentiment.header.scale / Math.sqrt(Math.max(1, n));
  const bias = sentiment.header.bias;
  logits[0] = a * value + (bias[0] ?? 0);
  logits[1] = b * value + (bias[1] ?? 0);
  logits[2] = c * value + (bias[2] ?? 0);
  heads.setSums(n, s0, s1, s2, s3, s4, s5, s6, s7);
}
