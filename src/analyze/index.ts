/**
 * earshot's analyzer: sentiment, urgency and language for one mention, with the reasons behind
 * each score. Models are files in <repo>/models (trained by `npm run train`), loaded once per
 * directory. See README.md in this folder for the method and the measured figures.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalyzeInput, Analysis, Analyzer, Sentiment } from '../core/types.js';
import { createFeatureBuffer, extractFeatures, type FeatureBuffer } from './features/extract.js';
import { tokenize } from './features/tokenize.js';
import { LanguageDetector } from './language/index.js';
import { loadLinearModel } from './sentiment/linear-model.js';
import { SentimentModel, compileVocabulary, type VocabularyEntry } from './sentiment/index.js';
import { ComplaintModel } from './urgency/complaint.js';
import { scoreUrgency, urgencyLevel, URGENCY_THRESHOLDS, type UrgencySignals } from './urgency/index.js';

export { urgencyLevel, URGENCY_THRESHOLDS };

export interface AnalyzerOptions {
  /** Folder holding sentiment.bin, complaint.bin and english-words.txt; default <repo>/models. */
  modelDir?: string;
}

/** Longer texts are cut here: the models were trained on tweets, and it bounds the cost. */
const MAX_CHARS = 4000;

/** Finds <repo>/models by walking up from this module to the folder holding package.json. */
export function defaultModelDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'models');
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the earshot package root (package.json) above ${path.dirname(fileURLToPath(import.meta.url))}; pass modelDir`);
    }
    dir = parent;
  }
}

interface LoadedModels {
  sentiment: SentimentModel;
  complaint: ComplaintModel;
  language: LanguageDetector;
  /** Whether the complaint model can reuse the sentiment model's features. */
  shareFeatures: boolean;
  buf: FeatureBuffer;
}

const loaded = new Map<string, LoadedModels>();

function loadModels(dir: string): LoadedModels {
  const cached = loaded.get(dir);
  if (cached) return cached;
  const need = (name: string): string => {
    const file = path.join(dir, name);
    if (!existsSync(file)) throw new Error(`analyzer model ${file} is missing; run \`npm run train\` or pass the right modelDir`);
    return file;
  };
  const sentiment = new SentimentModel(loadLinearModel(need('sentiment.bin')));
  const complaint = new ComplaintModel(loadLinearModel(need('complaint.bin')));
  const models: LoadedModels = {
    sentiment,
    complaint,
    language: LanguageDetector.fromFile(need('english-words.txt')),
    shareFeatures: complaint.canShare(sentiment.features),
    buf: createFeatureBuffer(),
  };
  loaded.set(dir, models);
  return models;
}

export function createAnalyzer(options: AnalyzerOptions = {}): Analyzer {
  const models = loadModels(path.resolve(options.modelDir ?? defaultModelDir()));
  return { analyze: (input) => analyze(models, input) };
}

function joinTitle(input: AnalyzeInput): string {
  const title = (input.title ?? '').trim();
  const text = input.text ?? '';
  if (!title) return text.length > MAX_CHARS ? text.slice(0, MAX_CHARS) : text;
  // The title ends a sentence (and any negation scope) before the body starts.
  const joined = /[.!?…]$/.test(title) ? `${title} ${text}` : `${title}. ${text}`;
  return joined.length > MAX_CHARS ? joined.slice(0, MAX_CHARS) : joined;
}

function analyze(models: LoadedModels, input: AnalyzeInput): Analysis {
  const text = joinTitle(input);
  const tokens = tokenize(text);
  const language = models.language.detect(text, tokens);
  const brand = brandTerms(input.brand?.vocabulary);
  if (!language.supported) {
    const sentiment: Sentiment = {
      label: 'unknown',
      score: 0,
      reasons: [`language not supported: ${language.code ?? 'unrecognised'} (the sentiment model is trained on English)`],
    };
    const urgency = scoreUrgency(text, urgencySignals(input, 0, sentiment, brand.neutralWords));
    return { sentiment, urgency, language: language.code };
  }
  extractFeatures(tokens, models.sentiment.features, models.buf);
  // The complaint model shares the features and, then, the scoring pass.
  const companion = models.shareFeatures ? models.complaint.companion : undefined;
  const sentiment = models.sentiment.score(tokens, brand.entries, models.buf, companion);
  const complaint = companion !== undefined ? models.complaint.scoredProbability() : models.complaint.probability(tokens);
  const urgency = scoreUrgency(text, urgencySignals(input, complaint, sentiment, brand.neutralWords));
  return { sentiment, urgency, language: language.code };
}

function urgencySignals(input: AnalyzeInput, complaint: number, sentiment: Sentiment, neutralWords: ReadonlySet<string>): UrgencySignals {
  return {
    complaint,
    sentimentScore: sentiment.score,
    negative: sentiment.label === 'negative',
    reach: input.reach,
    metrics: input.metrics,
    handles: input.brand?.handles ?? [],
    neutralWords,
  };
}

interface BrandTerms {
  entries: VocabularyEntry[];
  /** Vocabulary words that are not bad news for the brand (weight >= 0): never crisis words. */
  neutralWords: Set<string>;
}

const NO_TERMS: BrandTerms = { entries: [], neutralWords: new Set() };
// Brand contexts are long-lived config objects: compile each vocabulary once.
const compiled = new WeakMap<Record<string, number>, BrandTerms>();

function brandTerms(vocabulary: Record<string, number> | undefined): BrandTerms {
  if (!vocabulary) return NO_TERMS;
  const cached = compiled.get(vocabulary);
  if (cached) return cached;
  const neutralWords = new Set<string>();
  for (const [word, weight] of Object.entries(vocabulary)) if (weight >= 0) neutralWords.add(word.toLowerCase());
  const terms = { entries: compileVocabulary(vocabulary), neutralWords };
  compiled.set(vocabulary, terms);
  return terms;
}

