/**
 * Dense features from the learned lexicon: the polarity (log-odds positive vs negative, learned
 * from emoticon-labelled tweets) of each word and bigram in the text, summarised the way
 * lexicon-based systems do: sums, extremes, the last word's polarity and counts.
 */
import { FEATURE_KIND } from '../features/extract.js';

export const LEXICON_DENSE = 7;
export const LEXICON_DENSE_NAMES = ['sum+', 'sum-', 'max', 'min', 'last', 'count+', 'count-'] as const;

/** Fills `out` with the lexicon summary of the word features among `ids`. */
export function lexiconDense(
  ids: ArrayLike<number>,
  kinds: ArrayLike<number>,
  n: number,
  polarity: (bucket: number) => number,
  out: Float32Array,
): void {
  let sumPos = 0;
  let sumNeg = 0;
  let max = 0;
  let min = 0;
  let last = 0;
  let countPos = 0;
  let countNeg = 0;
  for (let f = 0; f < n; f++) {
    const kind = kinds[f]!;
    if (kind !== FEATURE_KIND.unigram && kind !== FEATURE_KIND.bigram) continue;
    const s = polarity(ids[f]!);
    if (s === 0) continue;
    if (s > 0) {
      sumPos += s;
      countPos++;
      if (s > max) max = s;
    } else {
      sumNeg += s;
      countNeg++;
      if (s < min) min = s;
    }
    if (kind === FEATURE_KIND.unigram) last = s;
  }
  out[0] = sumPos / 4;
  out[1] = sumNeg / 4;
  out[2] = max / 2;
  out[3] = min / 2;
  out[4] = last / 2;
  out[5] = countPos / 5;
  out[6] = countNeg / 5;
}
