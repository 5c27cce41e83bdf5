/**
 * Applying a brand's adaptation (see index.ts for how it is learned): its weights are keyed by
 * the bucket ids of the text's word and word-pair features (the same hashed features the shared
 * models use), so applying it is one map lookup per word.
 */
import type { BrandAdaptation } from '../../core/types.js';
import { FEATURE_KIND, type FeatureBuffer } from '../features/extract.js';
import { DENSE_INPUTS } from '../heads/model.js';

export interface CompiledAdaptation {
  count: number;
  bias: Float64Array;
  keepNegative: number;
  /** DENSE_INPUTS.length x 3 corrections per unit of each dense input. */
  inputs: Float64Array;
  weights: Map<number, Float64Array>;
  relevance: { bias: number; weights: Map<number, number> } | null;
}

const cache = new WeakMap<BrandAdaptation, CompiledAdaptation>();

export function compileAdaptation(adaptation: BrandAdaptation): CompiledAdaptation {
  const hit = cache.get(adaptation);
  if (hit) return hit;
  if (adaptation.format !== 'earshot-adaptation' || adaptation.version !== 1) {
    throw new Error(`unsupported brand adaptation ${String(adaptation.format)} v${String(adaptation.version)}; run \`earshot learn\` again`);
  }
  const weights = new Map<number, Float64Array>();
  for (const [key, w] of Object.entries(adaptation.weights)) weights.set(Number(key), Float64Array.from(w));
  const relevance = adaptation.relevance
    ? { bias: adaptation.relevance.bias, weights: new Map(Object.entries(adaptation.relevance.weights).map(([k, v]) => [Number(k), v])) }
    : null;
  const inputs = new Float64Array(DENSE_INPUTS.length * 3);
  for (const [name, w] of Object.entries(adaptation.inputs ?? {})) {
    const k = (DENSE_INPUTS as readonly string[]).indexOf(name);
    if (k < 0) throw new Error(`brand adaptation uses unknown input ${name}; run \`earshot learn\` again`);
    for (let c = 0; c < 3; c++) inputs[k * 3 + c] = w[c]!;
  }
  const e = adaptation.examples;
  const compiled: CompiledAdaptation = { count: e.negative + e.neutral + e.positive + e.irrelevant, bias: Float64Array.from(adaptation.bias), keepNegative: adaptation.keepNegative ?? 0, inputs, weights, relevance };
  cache.set(adaptation, compiled);
  return compiled;
}

/** The adaptation's features of a text: bucket ids of its word unigrams and bigrams (deduplicated). */
export function adaptationFeatures(buf: FeatureBuffer): number[] {
  const ids: number[] = [];
  for (let f = 0; f < buf.n; f++) {
    const kind = buf.kind[f];
    if (kind !== FEATURE_KIND.unigram && kind !== FEATURE_KIND.bigram) continue;
    const id = buf.ids[f]!;
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** Adds the adaptation's corrections to `logits` (negative, neutral, positive); returns P(irrelevant) when it learned one. */
export function applyAdaptation(adaptation: CompiledAdaptation, buf: FeatureBuffer, dense: Float64Array, logits: Float64Array): { irrelevant: number | null } {
  const ids = adaptationFeatures(buf);
  const v = ids.length > 0 ? 1 / Math.sqrt(ids.length) : 0;
  for (let c = 0; c < 3; c++) {
    let z = logits[c]! + adaptation.bias[c]!;
    for (let k = 0; k < DENSE_INPUTS.length; k++) z += adaptation.inputs[k * 3 + c]! * dense[k]!;
    logits[c] = z;
  }
  let relevance = adaptation.relevance ? adaptation.relevance.bias : 0;
  for (const id of ids) {
    const w = adaptation.weights.get(id);
    if (w !== undefined) for (let c = 0; c < 3; c++) logits[c] = logits[c]! + w[c]! * v;
    if (adaptation.relevance) relevance += (adaptation.relevance.weights.get(id) ?? 0) * v;
  }
  return { irrelevant: adaptation.relevance ? 1 / (1 + Math.exp(-relevance)) : null };
}
