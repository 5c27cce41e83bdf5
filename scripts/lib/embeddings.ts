/**
 * Word vectors learned from unlabelled text: skip-gram with negative sampling (word2vec), in
 * plain TypeScript, deterministic (seeded). Used by training only; the vectors the model needs
 * are stored in its file.
 */
import { mulberry32 } from './linear-train.js';

export interface EmbeddingOptions {
  dim: number;
  window: number;
  negatives: number;
  epochs: number;
  /** Starting learning rate, decayed linearly to 1% of it. */
  lr: number;
  minCount: number;
  /** Frequent-word subsampling threshold (word2vec's `sample`). */
  sample: number;
  seed: number;
}

export interface Embeddings {
  words: string[];
  index: Map<string, number>;
  dim: number;
  /** words.length x dim, row-major. */
  vectors: Float32Array;
  counts: number[];
}

/** Trains vectors for every word seen at least `minCount` times in `sentences`. */
export function trainEmbeddings(sentences: readonly string[][], opts: EmbeddingOptions): Embeddings {
  const freq = new Map<string, number>();
  for (const s of sentences) for (const w of s) freq.set(w, (freq.get(w) ?? 0) + 1);
  const words = [...freq.entries()]
    .filter(([, n]) => n >= opts.minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([w]) => w);
  const index = new Map(words.map((w, i) => [w, i]));
  const counts = words.map((w) => freq.get(w)!);
  const V = words.length;
  const D = opts.dim;
  const random = mulberry32(opts.seed);
  const input = new Float32Array(V * D);
  for (let i = 0; i < input.length; i++) input[i] = (random() - 0.5) / D;
  const output = new Float32Array(V * D);

  // Unigram^0.75 table for negative sampling.
  const TABLE = 1 << 22;
  const table = new Int32Array(TABLE);
  let total = 0;
  for (const c of counts) total += Math.pow(c, 0.75);
  let filled = 0;
  let acc = 0;
  for (let v = 0; v < V; v++) {
    acc += Math.pow(counts[v]!, 0.75);
    const end = Math.min(TABLE, Math.round((acc / total) * TABLE));
    for (; filled < end; filled++) table[filled] = v;
  }
  let tokens = 0;
  for (const c of counts) tokens += c;
  const keep = counts.map((c) => {
    const f = c / tokens;
    return Math.min(1, (Math.sqrt(f / opts.sample) + 1) * (opts.sample / f));
  });

  const encoded = sentences.map((s) => s.map((x) => index.get(x) ?? -1).filter((x) => x >= 0));
  const totalSteps = opts.epochs * encoded.length;
  const grad = new Float32Array(D);
  let step = 0;
  const ids: number[] = [];
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (const sentence of encoded) {
      const lr = opts.lr * Math.max(0.01, 1 - step / totalSteps);
      step++;
      ids.length = 0;
      for (const id of sentence) if (random() < keep[id]!) ids.push(id);
      for (let i = 0; i < ids.length; i++) {
        const span = 1 + Math.floor(random() * opts.window);
        for (let j = Math.max(0, i - span); j <= Math.min(ids.length - 1, i + span); j++) {
          if (j === i) continue;
          const center = ids[j]! * D;
          grad.fill(0);
          for (let k = 0; k <= opts.negatives; k++) {
            const target = k === 0 ? ids[i]! : table[Math.floor(random() * TABLE)]!;
            if (k > 0 && target === ids[i]) continue;
            const label = k === 0 ? 1 : 0;
            const out = target * D;
            let dot = 0;
            for (let d = 0; d < D; d++) dot += input[center + d]! * output[out + d]!;
            const g = (label - 1 / (1 + Math.exp(-Math.max(-10, Math.min(10, dot))))) * lr;
            for (let d = 0; d < D; d++) {
              grad[d] = grad[d]! + g * output[out + d]!;
              output[out + d] = output[out + d]! + g * input[center + d]!;
            }
          }
          for (let d = 0; d < D; d++) input[center + d] = input[center + d]! + grad[d]!;
        }
      }
    }
  }
  // Unit length, so an average of vectors does not favour frequent words.
  for (let v = 0; v < V; v++) {
    let norm = 0;
    for (let d = 0; d < D; d++) norm += input[v * D + d]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < D; d++) input[v * D + d] = input[v * D + d]! / norm;
  }
  return { words, index, dim: D, vectors: input, counts };
}

/** The `k` nearest words by cosine (for checking that the vectors mean something). */
export function nearest(e: Embeddings, word: string, k: number): string[] {
  const i = e.index.get(word);
  if (i === undefined) return [];
  const D = e.dim;
  const scores: [number, number][] = [];
  for (let v = 0; v < e.words.length; v++) {
    if (v === i) continue;
    let dot = 0;
    for (let d = 0; d < D; d++) dot += e.vectors[i * D + d]! * e.vectors[v * D + d]!;
    scores.push([dot, v]);
  }
  scores.sort((a, b) => b[0] - a[0]);
  return scores.slice(0, k).map(([, v]) => e.words[v]!);
}
