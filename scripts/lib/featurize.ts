/** Turns texts into training examples with the analyzer's own tokenizer and feature extractor. */
import { createFeatureBuffer, extractFeatures, type FeatureConfig } from '../../src/analyze/features/extract.js';
import { tokenize } from '../../src/analyze/features/tokenize.js';

export function featurize(texts: readonly string[], cfg: FeatureConfig): Int32Array[] {
  const buf = createFeatureBuffer();
  return texts.map((text) => {
    const n = extractFeatures(tokenize(text), cfg, buf);
    return buf.ids.slice(0, n);
  });
}
