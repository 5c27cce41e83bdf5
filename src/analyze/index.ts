/**
 * earshot's analyzer: sentiment toward the brand, urgency, moderation and irony flags, and
 * language for one mention, with the reasons behind each score. Models are files in
 * <repo>/models (trained by `npm run train`), loaded once per directory. See README.md in this
 * folder for the method and the measured figures.
 *
 * One pass over the text's hashed features scores the general sentiment model and every head of
 * models/heads.bin (complaint, offensive, hate, irony, brand layer). With a brand context the
 * label comes from the brand layer (sentiment *toward the brand*: a complaint to the brand is
 * negative; general negativity about something else is not); without one, from the general
 * model. Written cues then apply: a safety or legal threat is negative, written-out sarcasm is
 * negative, a complaint resolved happily is not, a text that is only the brand's name is neutral.
 * A brand's adaptation (learned from its team's corrections, src/analyze/adapt) adds its
 * corrections last.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalyzeInput, Analysis, Analyzer, BrandAdaptation, BrandContext, Flags, Sentiment, SentimentLabel } from '../core/types.js';
import { adaptationFeatures, applyAdaptation, compileAdaptation, type CompiledAdaptation } from './adapt/apply.js';
import { adaptedClass, fitAdaptation, type Correction, type LearnSettings, type ScoredCorrection } from './adapt/index.js';
import { brandNameOnly, brandWordsOf, writtenCues } from './brand/cues.js';
import { createFeatureBuffer, extractFeatures, FEATURE_KIND, type FeatureBuffer } from './features/extract.js';
import { normalizeText, tokenize, type Token } from './features/tokenize.js';
import { DENSE_INDEX, fillDense } from './heads/dense.js';
import { DENSE_INPUTS, HeadsModel, loadHeads, type HeadsModelData } from './heads/model.js';
import { LanguageDetector } from './language/index.js';
import { loadLinearModel } from './sentiment/linear-model.js';
import { SentimentModel, compileVocabulary, strongestPhrase, type VocabularyEntry } from './sentiment/index.js';
import { addressedHandle, COMPLAINT_THRESHOLD, findCrisisTerms, scoreUrgency, urgencyLevel, URGENCY_THRESHOLDS, type CrisisMatch, type UrgencySignals } from './urgency/index.js';

export { urgencyLevel, URGENCY_THRESHOLDS };

export interface AnalyzerOptions {
  /** Folder holding sentiment.bin, heads.bin and english-words.txt; default <repo>/models. */
  modelDir?: string;
  /** Heads to use instead of modelDir's heads.bin (evaluation: a brand layer trained without the fold it scores). */
  heads?: HeadsModelData;
}

/** Longer texts are cut here: the models were trained on tweets, and it bounds the cost. */
const MAX_CHARS = 4000;
/** At most this many reasons per sentiment. */
const MAX_REASONS = 5;

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
  heads: HeadsModel;
  language: LanguageDetector;
  buf: FeatureBuffer;
  dense: Float64Array;
  general: Float64Array;
  final: Float64Array;
  pulls: Float64Array;
  brandPulls: Float64Array;
  /** The brand layer's "addressed" input when the brand has no handles (unknown, not "no"): heads.bin's `addressedWhenUnknown`. */
  addressedUnknown: number;
}

const loaded = new Map<string, LoadedModels>();
const loadedWithHeads = new WeakMap<HeadsModelData, LoadedModels>();

function modelFile(dir: string, name: string): string {
  const file = path.join(dir, name);
  if (!existsSync(file)) throw new Error(`analyzer model ${file} is missing; run \`npm run train\` or pass the right modelDir`);
  return file;
}

function loadModels(dir: string, headsOverride?: HeadsModelData): LoadedModels {
  const cached = headsOverride === undefined ? loaded.get(dir) : loadedWithHeads.get(headsOverride);
  if (cached) return cached;
  const sentiment = new SentimentModel(loadLinearModel(modelFile(dir, 'sentiment.bin')));
  const headsData = headsOverride ?? loadHeads(modelFile(dir, 'heads.bin'));
  const heads = new HeadsModel(headsData);
  if (!heads.canShare(sentiment.features)) {
    throw new Error(`${path.join(dir, 'heads.bin')}: its features differ from sentiment.bin's; retrain both with \`npm run train\``);
  }
  for (const name of ['complaint', 'offensive', 'hate', 'irony', 'brand'] as const) {
    if (!heads.has(name)) throw new Error(`${path.join(dir, 'heads.bin')}: has no ${name} head; retrain with \`npm run train\``);
  }
  const models: LoadedModels = {
    sentiment,
    heads,
    language: LanguageDetector.fromFile(modelFile(dir, 'english-words.txt')),
    buf: createFeatureBuffer(),
    dense: new Float64Array(DENSE_INPUTS.length),
    general: new Float64Array(3),
    final: new Float64Array(3),
    pulls: new Float64Array(256),
    brandPulls: new Float64Array(256),
    addressedUnknown: addressedWhenUnknown(headsData),
  };
  if (headsOverride === undefined) loaded.set(dir, models);
  else loadedWithHeads.set(headsOverride, models);
  return models;
}

function addressedWhenUnknown(data: HeadsModelData): number {
  const value = data.header.settings?.addressedWhenUnknown;
  return typeof value === 'number' && value >= 0 && value <= 1 ? value : 0;
}

export function createAnalyzer(options: AnalyzerOptions = {}): Analyzer {
  const models = loadModels(path.resolve(options.modelDir ?? defaultModelDir()), options.heads);
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

const NO_FLAGS: Flags = { offensive: 0, hate: 0, irony: 0 };
const LABELS: readonly SentimentLabel[] = ['negative', 'neutral', 'positive'];

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function analyze(models: LoadedModels, input: AnalyzeInput): Analysis {
  // Repaired once (entities, mojibake), so cues and context read what the tokens read.
  const text = normalizeText(joinTitle(input));
  const tokens = tokenize(text, true);
  const language = models.language.detect(text, tokens);
  const brand = brandTerms(input.brand);
  const lower = text.toLowerCase();
  const crisis = findCrisisTerms(text, brand.neutralWords, lower);
  const handles = input.brand?.handles ?? [];
  const addressed = addressedHandle(text, handles, lower);
  if (!language.supported) {
    const sentiment: Sentiment = {
      label: 'unknown',
      score: 0,
      reasons: [`language not supported: ${language.code ?? 'unrecognised'} (the sentiment model is trained on English)`],
    };
    const urgency = scoreUrgency(text, urgencySignals(input, handles, brand, crisis, addressed, 0, null, 0, false, null));
    return { sentiment, urgency, language: language.code, flags: NO_FLAGS };
  }
  if (brandNameOnly(tokens, brand.words)) {
    // Nothing but the brand's name (or nothing at all): nothing to be for or against.
    const urgency = scoreUrgency(text, urgencySignals(input, handles, brand, crisis, addressed, 0, null, 0, false, null));
    return { sentiment: { label: 'neutral', score: 0, reasons: [] }, urgency, language: language.code, flags: NO_FLAGS };
  }

  const { buf } = models;
  const { hasVocabulary, complaintMargin, ironyMargin, offensiveMargin, hateMargin } = sharedLogits(models, input, text, tokens, brand, crisis, addressed);
  const flags: Flags = {
    offensive: round3(sigmoid(offensiveMargin)),
    hate: round3(sigmoid(hateMargin)),
    irony: round3(sigmoid(ironyMargin)),
  };
  const final = models.final;
  const towardBrand = input.brand !== undefined;
  let complaint = sigmoid(complaintMargin);
  const severe = crisis.some((c) => c.term.severe);
  // A complaint, or bad news for the brand (a severe crisis term), that reads negative is
  // negative toward the brand, even where the brand layer hesitates (Sanders, 10-fold CV:
  // negative recall 0.69 -> 0.72, F1 0.67 -> 0.65).
  const override = towardBrand && (complaint >= COMPLAINT_THRESHOLD || severe) && argmax(models.general) === 0;
  // Compiled once per adaptation object (a new adaptation is a new object).
  const adaptation: CompiledAdaptation | null = input.brand?.adaptation ? compileAdaptation(input.brand.adaptation) : null;
  let irrelevant: number | undefined;
  let adapted: string | null = null;
  let score = probabilityScore(final);
  let overridden = false;
  if (adaptation !== null) {
    // The adaptation corrects the decision as the shared analyzer makes it, override included
    // (learnAdaptation learns on the same logits).
    if (override && argmax(final) === 1) {
      liftOverride(final);
      overridden = true;
    }
    const before = argmax(final);
    const shared = Float64Array.from(final);
    const result = applyAdaptation(adaptation, buf, models.dense, final);
    irrelevant = result.irrelevant ?? undefined;
    // The alert class is kept unless the adaptation is fairly sure (LearnSettings.keepNegative).
    if (adaptedClass(shared, final, adaptation.keepNegative) === 0 && argmax(final) !== 0) final[0] = Math.max(final[1]!, final[2]!) + 1e-6;
    if (argmax(final) !== before) adapted = `learned from ${adaptation.count} corrections`;
    score = probabilityScore(final);
  }

  const signals: string[] = [];
  let label = LABELS[argmax(final)]!;
  if (override && adaptation === null && label === 'neutral') {
    label = 'negative';
    overridden = true;
  }
  if (overridden && label === 'negative') score = Math.min(score, probabilityScore(models.general));
  const critical = crisis.find((c) => c.term.critical);
  const { resolved, sarcasm } = writtenCues(text, lower);
  let ironic = false;
  if (critical !== undefined && resolved === null) {
    if (label !== 'negative') score = -Math.max(0.6, Math.abs(score));
    label = 'negative';
    signals.push(`${critical.term.name} threat: "${critical.match}"`);
  } else if (sarcasm !== null && label !== 'negative') {
    label = 'negative';
    score = -Math.max(0.5, Math.abs(score));
    signals.push(`sarcasm: "${sarcasm}"`);
  } else if (sarcasm !== null) {
    // Already negative: the reason still says it is sarcasm ("Oh great, it broke down again").
    signals.push(`sarcasm: "${sarcasm}"`);
  } else if (label === 'positive' && flags.irony >= 0.5 && (complaint >= COMPLAINT_THRESHOLD || crisis.length > 0)) {
    // Praise around a complaint, and the irony head agrees: sarcasm.
    label = 'negative';
    score = -Math.max(0.5, Math.abs(score));
    signals.push(`sarcasm (irony ${flags.irony.toFixed(2)})`);
    ironic = true;
  } else if (resolved !== null && label === 'negative') {
    label = final[2]! > final[1]! - 1 ? 'positive' : 'neutral';
    score = label === 'positive' ? Math.max(0.3, Math.abs(score)) : 0;
    signals.push(`resolved: "${resolved}"`);
  }
  if (resolved !== null) complaint = Math.min(complaint, 0.2);
  const quote = complaint >= COMPLAINT_THRESHOLD ? complaintQuote(models, tokens) : null;
  // The complaint is the first reason, before a sarcasm the irony head inferred from it.
  if (label === 'negative' && complaint >= COMPLAINT_THRESHOLD && (signals.length === 0 || ironic)) {
    signals.unshift(quote ? `complaint: "${quote}"` : 'complaint');
  }
  if (adapted !== null) signals.push(adapted);

  let reasons: string[] = [];
  if (label === 'negative' || label === 'positive') {
    const sign = label === 'positive' ? 1 : -1;
    const extra = towardBrand ? brandPulls(models, tokens.length) : null;
    const words = models.sentiment.explain(tokens, buf, sign, hasVocabulary, extra).filter((r) => !r.startsWith('overall tone') || signals.length === 0);
    reasons = [...signals, ...words].slice(0, MAX_REASONS);
  } else if (signals.length > 0) {
    reasons = signals.slice(0, MAX_REASONS);
  }
  const sentiment: Sentiment = { label, score: round3(Math.max(-1, Math.min(1, score))), reasons };
  const urgency = scoreUrgency(text, urgencySignals(input, handles, brand, crisis, addressed, complaint, quote, sentiment.score, label === 'negative', resolved));
  const analysis: Analysis = { sentiment, urgency, language: language.code, flags };
  if (irrelevant !== undefined) analysis.irrelevant = round3(irrelevant);
  return analysis;
}

/**
 * The urgency signals of a text, always built with the same properties in the same order: an
 * object spread here (`{ ...base, complaint }`) cost about a tenth of analyze() in the profile.
 */
function urgencySignals(
  input: AnalyzeInput,
  handles: readonly string[],
  brand: BrandTerms,
  crisis: readonly CrisisMatch[],
  addressed: string | null,
  complaint: number,
  complaintQuote: string | null,
  sentimentScore: number,
  negative: boolean,
  resolved: string | null,
): UrgencySignals {
  return { complaint, complaintQuote, sentimentScore, negative, reach: input.reach, metrics: input.metrics, handles, neutralWords: brand.neutralWords, crisis, resolved, addressed };
}

interface SharedScores {
  hasVocabulary: boolean;
  complaintMargin: number;
  ironyMargin: number;
  offensiveMargin: number;
  hateMargin: number;
}

/**
 * Scores the shared models: general sentiment and every head in one pass; `models.final` gets
 * the sentiment logits toward the brand (the brand layer) or, without a brand, the general ones.
 */
function sharedLogits(models: LoadedModels, input: AnalyzeInput, text: string, tokens: readonly Token[], brand: BrandTerms, crisis: readonly CrisisMatch[], addressed?: string | null): SharedScores {
  const { buf, heads, dense } = models;
  extractFeatures(tokens, models.sentiment.features, buf);
  const { logits, hasVocabulary } = models.sentiment.logits(tokens, brand.entries, buf, heads);
  models.general.set(logits);
  fillDense(
    {
      text,
      logits,
      handles: input.brand?.handles ?? [],
      reply: input.reply ?? false,
      severeCrisis: crisis.some((c) => c.term.severe),
      moderateCrisis: crisis.some((c) => !c.term.severe),
      ...(addressed !== undefined ? { addressed } : {}),
    },
    dense,
  );
  // A brand with no handles cannot be addressed by handle: whether a text is addressed to it is
  // unknown, not "no". The brand layer learned "not addressed" as a sign against negative (on
  // Sanders, 55% of the negative tweets name the brand's handle, 22% of the neutral ones), so it
  // gets the share of addressed texts it was trained on instead of 0.
  if (input.brand !== undefined && (input.brand.handles?.length ?? 0) === 0) dense[DENSE_INDEX.addressed] = models.addressedUnknown;
  const complaintMargin = heads.value('complaint', dense);
  const ironyMargin = heads.value('irony', dense);
  dense[DENSE_INDEX.complaint] = complaintMargin;
  dense[DENSE_INDEX.irony] = ironyMargin;
  if (input.brand !== undefined) {
    for (let c = 0; c < 3; c++) models.final[c] = heads.value('brand', dense, c);
  } else {
    models.final.set(models.general);
  }
  return { hasVocabulary, complaintMargin, ironyMargin, offensiveMargin: heads.value('offensive', dense), hateMargin: heads.value('hate', dense) };
}

export interface LearnOptions {
  modelDir?: string;
  /** Heads to learn on top of instead of modelDir's (the learning simulation in eval). */
  heads?: HeadsModelData;
  /** ISO time recorded as learnedAt; default now. */
  now?: string;
  settings?: LearnSettings;
}

/**
 * Learns a brand's adaptation from its team's corrections, on top of the shared models as they
 * score for this brand (its handles and vocabulary count; any adaptation already on `brand` is
 * ignored: the result replaces it). Reads no store: the caller passes the corrections and keeps
 * the result (JSON) wherever it keeps brand data, then sets it as `brand.adaptation`.
 */
export function learnAdaptation(brand: BrandContext, corrections: readonly Correction[], options: LearnOptions = {}): BrandAdaptation {
  const models = loadModels(path.resolve(options.modelDir ?? defaultModelDir()), options.heads);
  const terms = brandTerms(brand);
  const context: BrandContext = { ...brand, adaptation: null };
  const scored: ScoredCorrection[] = corrections.map((c) => {
    const input: AnalyzeInput = { text: c.text, ...(c.title !== undefined ? { title: c.title } : {}), brand: context, ...(c.reply !== undefined ? { reply: c.reply } : {}) };
    const text = normalizeText(joinTitle(input));
    const tokens = tokenize(text, true);
    const crisis = findCrisisTerms(text, terms.neutralWords);
    const { complaintMargin } = sharedLogits(models, input, text, tokens, terms, crisis);
    const override = (sigmoid(complaintMargin) >= COMPLAINT_THRESHOLD || crisis.some((c) => c.term.severe)) && argmax(models.general) === 0;
    if (override && argmax(models.final) === 1) liftOverride(models.final);
    return { label: c.label, confirmed: c.confirmed === true, logits: Array.from(models.final), dense: Array.from(models.dense), ids: adaptationFeatures(models.buf), words: featureWords(models.buf, tokens) };
  });
  return fitAdaptation(scored, options.now ?? new Date().toISOString(), options.settings);
}

function featureWords(buf: FeatureBuffer, tokens: readonly Token[]): Map<number, string> {
  const words = new Map<number, string>();
  for (let f = 0; f < buf.n; f++) {
    const kind = buf.kind[f];
    if (kind !== FEATURE_KIND.unigram && kind !== FEATURE_KIND.bigram) continue;
    const owner = buf.owner[f]!;
    const parts: string[] = [];
    for (let t = owner; t < owner + buf.span[f]!; t++) parts.push(tokens[t]!.norm);
    words.set(buf.ids[f]!, parts.join(' '));
  }
  return words;
}

/** How far the override puts negative above neutral in the logits an adaptation learns on and corrects. */
const OVERRIDE_MARGIN = 0.5;

/** The override (a complaint or severe crisis term reading negative is negative) as logits: negative just above neutral. */
function liftOverride(logits: Float64Array): void {
  logits[0] = logits[1]! + OVERRIDE_MARGIN;
}

function argmax(logits: Float64Array): number {
  return logits[0]! >= logits[1]! && logits[0]! >= logits[2]! ? 0 : logits[1]! >= logits[2]! ? 1 : 2;
}

/** P(positive) - P(negative) of three logits. */
function probabilityScore(logits: Float64Array): number {
  const max = Math.max(logits[0]!, logits[1]!, logits[2]!);
  const a = Math.exp(logits[0]! - max);
  const b = Math.exp(logits[1]! - max);
  const c = Math.exp(logits[2]! - max);
  return (c - a) / (a + b + c);
}

function pullsFor(models: LoadedModels, n: number): Float64Array {
  if (models.pulls.length < n) models.pulls = new Float64Array(n * 2);
  return models.pulls;
}

/** The words the complaint head leaned on most ("where is my refund"). */
function complaintQuote(models: LoadedModels, tokens: readonly Token[]): string | null {
  const pulls = pullsFor(models, tokens.length);
  models.heads.tokenPulls(models.buf, tokens.length, 'complaint', 0, null, pulls);
  return strongestPhrase(tokens, pulls, 1);
}

/** The brand layer's own word pulls (positive minus negative), added to the general model's in reasons. */
function brandPulls(models: LoadedModels, n: number): Float64Array {
  if (models.brandPulls.length < n) models.brandPulls = new Float64Array(n * 2);
  models.heads.tokenPulls(models.buf, n, 'brand', 2, 0, models.brandPulls);
  return models.brandPulls;
}

interface BrandTerms {
  entries: VocabularyEntry[];
  /** Vocabulary words that are not bad news for the brand (weight >= 0): never crisis words. */
  neutralWords: Set<string>;
  /** The brand's name and handles, for telling a text that says nothing else. */
  words: Set<string>;
}

const NO_TERMS: BrandTerms = { entries: [], neutralWords: new Set(), words: new Set() };
// Brand contexts are long-lived config objects: compile each once.
const compiled = new WeakMap<BrandContext, BrandTerms>();

function brandTerms(brand: BrandContext | undefined): BrandTerms {
  if (!brand) return NO_TERMS;
  const cached = compiled.get(brand);
  if (cached) return cached;
  const neutralWords = new Set<string>();
  for (const [word, weight] of Object.entries(brand.vocabulary ?? {})) if (weight >= 0) neutralWords.add(word.toLowerCase());
  const terms: BrandTerms = {
    entries: compileVocabulary(brand.vocabulary),
    neutralWords,
    words: brandWordsOf(brand.name, brand.handles),
  };
  compiled.set(brand, terms);
  return terms;
}

export { describeAdaptation, fitAdaptation, LEARN_SETTINGS, type Correction, type CorrectionLabel, type LearnSettings } from './adapt/index.js';
