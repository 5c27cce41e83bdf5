/**
 * The previous analyzer ("v1", before brand-directed sentiment and the flags), for `npm run eval`
 * to compare against: the general sentiment model (models/sentiment.bin, unchanged since) and the
 * v1 complaint model (scripts/eval-v1/complaint.bin, a copy kept for eval only, outside the
 * package), scored as v1's analyze() did: language, sentiment with reasons, complaint model in
 * the same pass, urgency. Its urgency uses today's crisis terms; the sentiment labels are v1's.
 */
import path from 'node:path';
import type { Analysis, AnalyzeInput, Analyzer } from '../../src/core/types.js';
import { createFeatureBuffer, extractFeatures } from '../../src/analyze/features/extract.js';
import { tokenize } from '../../src/analyze/features/tokenize.js';
import { LanguageDetector } from '../../src/analyze/language/index.js';
import { loadLinearModel } from '../../src/analyze/sentiment/linear-model.js';
import { SentimentModel } from '../../src/analyze/sentiment/index.js';
import { ComplaintModel } from './v1-complaint.js';
import { scoreUrgency } from '../../src/analyze/urgency/index.js';
import { REPO_ROOT } from './data.js';

export const V1_COMPLAINT = path.join(REPO_ROOT, 'scripts', 'eval-v1', 'complaint.bin');

export function createV1Analyzer(): Analyzer {
  const models = path.join(REPO_ROOT, 'models');
  const sentiment = new SentimentModel(loadLinearModel(path.join(models, 'sentiment.bin')));
  const complaint = new ComplaintModel(loadLinearModel(V1_COMPLAINT));
  const language = LanguageDetector.fromFile(path.join(models, 'english-words.txt'));
  const buf = createFeatureBuffer();
  const none = new Set<string>();
  return {
    analyze(input: AnalyzeInput): Analysis {
      const text = input.text;
      const tokens = tokenize(text);
      const lang = language.detect(text, tokens);
      const base = { reach: input.reach, metrics: input.metrics, handles: input.brand?.handles ?? [], neutralWords: none };
      const flags = { offensive: 0, hate: 0, irony: 0 };
      if (!lang.supported) {
        const s = { label: 'unknown' as const, score: 0, reasons: [] };
        return { sentiment: s, urgency: scoreUrgency(text, { ...base, complaint: 0, sentimentScore: 0, negative: false }), language: lang.code, flags };
      }
      extractFeatures(tokens, sentiment.features, buf);
      const s = sentiment.score(tokens, [], buf, complaint.companion);
      const p = complaint.scoredProbability();
      return { sentiment: s, urgency: scoreUrgency(text, { ...base, complaint: p, sentimentScore: s.score, negative: s.label === 'negative' }), language: lang.code, flags };
    },
  };
}
