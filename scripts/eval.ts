/**
 * Measures earshot's analyzer against the `sentiment` package (AFINN-165, default thresholds) on
 * every labelled set in ../shared/datasets/sentiment, and the complaint detector by
 * cross-validation on the training complaints.
 *
 *   npm run eval              table in Markdown (earshot / baseline in each cell)
 *   npm run eval -- --json    the same figures as JSON
 *
 * The analyzer's `unknown` (language not supported) counts as neutral here; how often it
 * happens is its own column. texts/s is per second of CPU time on one core (the whole
 * `analyze()`: language, sentiment with reasons, complaint model and urgency).
 */
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAnalyzer } from '../src/analyze/index.js';
import { complaintTexts, crossValidateComplaint, type ComplaintCv } from './lib/complaint.js';
import { scoreUrgency } from '../src/analyze/urgency/index.js';
import { URGENCY_LEVELS, type UrgencyLevel } from '../src/core/types.js';
import { EVAL_DIR, REPO_ROOT, TRAIN_DIR, readLabelled, requireSharedData, sentimentIndex, type LabelledText } from './lib/data.js';
import { computeFigures, type Figures } from './lib/metrics.js';

interface AfinnResult {
  score: number;
}
interface AfinnAnalyzer {
  analyze(text: string): AfinnResult;
}

const require = createRequire(import.meta.url);

interface SystemResult {
  figures: Figures;
  textsPerSecond: number;
  unknown: number;
}

interface SetResult {
  file: string;
  n: number;
  earshot: SystemResult;
  baseline: SystemResult;
}

const NEUTRAL = 1;

/**
 * Runs `run` over every text. Throughput is texts per second of this process's CPU time, best of
 * three passes after a warm-up: "on one core", and not skewed by other programs on the machine.
 */
function timeIt(texts: readonly string[], run: (text: string) => number): { predicted: number[]; textsPerSecond: number } {
  for (const t of texts.slice(0, 2000)) run(t);
  let predicted: number[] = [];
  let best = 0;
  for (let pass = 0; pass < 3; pass++) {
    const started = process.cpuUsage();
    predicted = texts.map(run);
    const used = process.cpuUsage(started);
    const seconds = (used.user + used.system) / 1e6;
    best = Math.max(best, texts.length / Math.max(seconds, 1e-6));
  }
  return { predicted, textsPerSecond: best };
}

function evaluateSet(file: string, rows: LabelledText[], baseline: AfinnAnalyzer): SetResult {
  const analyzer = createAnalyzer();
  const gold = rows.map((r) => sentimentIndex(r.label, file));
  const texts = rows.map((r) => r.text);
  let unknown = 0;
  const ours = timeIt(texts, (text) => {
    const label = analyzer.analyze({ text }).sentiment.label;
    if (label === 'unknown') return NEUTRAL;
    return label === 'negative' ? 0 : label === 'neutral' ? 1 : 2;
  });
  for (const text of texts) if (analyzer.analyze({ text }).sentiment.label === 'unknown') unknown++;
  const theirs = timeIt(texts, (text) => {
    const score = baseline.analyze(text).score;
    return score < 0 ? 0 : score > 0 ? 2 : 1;
  });
  return {
    file,
    n: rows.length,
    earshot: { figures: computeFigures(gold, ours.predicted, 3), textsPerSecond: ours.textsPerSecond, unknown },
    baseline: { figures: computeFigures(gold, theirs.predicted, 3), textsPerSecond: theirs.textsPerSecond, unknown: 0 },
  };
}

const f3 = (x: number): string => x.toFixed(3);
const pair = (a: number, b: number): string => `${f3(a)} / ${f3(b)}`;
const rate = (x: number): string => (x >= 1000 ? `${Math.round(x / 1000)}k` : String(Math.round(x)));

function printTable(results: SetResult[]): void {
  console.log('Sentiment, earshot / `sentiment` (AFINN-165) in each cell:\n');
  console.log('| set | n | accuracy | macro-F1 | macro-recall | neg precision | neg recall | neg F1 | texts/s | unknown lang |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const a = r.earshot.figures;
    const b = r.baseline.figures;
    const an = a.perClass[0]!;
    const bn = b.perClass[0]!;
    console.log(
      `| ${r.file.replace(/\.csv$/, '')} | ${r.n} | ${pair(a.accuracy, b.accuracy)} | ${pair(a.macroF1, b.macroF1)} | ${pair(a.macroRecall, b.macroRecall)} | ${pair(an.precision, bn.precision)} | ${pair(an.recall, bn.recall)} | ${pair(an.f1, bn.f1)} | ${rate(r.earshot.textsPerSecond)} / ${rate(r.baseline.textsPerSecond)} | ${r.earshot.unknown} |`,
    );
  }
}

function modelFacts(): { sizeMB: number; loadMs: number } {
  const dir = path.join(REPO_ROOT, 'models');
  let size = 0;
  for (const f of readdirSync(dir)) size += statSync(path.join(dir, f)).size;
  // A fresh directory path string defeats the per-directory cache, so this is a real load.
  const started = performance.now();
  createAnalyzer({ modelDir: `${dir}${path.sep}.${path.sep}` });
  return { sizeMB: size / 1024 / 1024, loadMs: performance.now() - started };
}

/**
 * Urgency levels of the complaint tweets, with each tweet's complaint probability taken from the
 * cross-validation fold that did not train on it (sentiment from the shipped model, which never
 * saw these tweets). No brand handles or reach: the levels come from the text alone.
 */
function urgencyOnComplaints(cv: ComplaintCv): Record<'complaint' | 'not_complaint', Record<UrgencyLevel, number>> {
  const analyzer = createAnalyzer();
  const texts = complaintTexts();
  const empty = (): Record<UrgencyLevel, number> => ({ low: 0, medium: 0, high: 0, critical: 0 });
  const out = { complaint: empty(), not_complaint: empty() };
  texts.forEach((text, i) => {
    const sentiment = analyzer.analyze({ text }).sentiment;
    const urgency = scoreUrgency(text, {
      complaint: cv.probabilities[i]!,
      sentimentScore: sentiment.score,
      negative: sentiment.label === 'negative',
      reach: null,
      metrics: undefined,
      handles: [],
      neutralWords: new Set(),
    });
    out[cv.labels[i] === 1 ? 'complaint' : 'not_complaint'][urgency.level]++;
  });
  return out;
}

function printUrgency(levels: ReturnType<typeof urgencyOnComplaints>): void {
  console.log('Urgency levels of the complaint tweets (text only, held-out complaint probabilities):\n');
  console.log(`| label | n | ${URGENCY_LEVELS.join(' | ')} | medium or above |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const label of ['complaint', 'not_complaint'] as const) {
    const row = levels[label];
    const n = URGENCY_LEVELS.reduce((sum, l) => sum + row[l], 0);
    const share = (k: number): string => `${((100 * k) / Math.max(1, n)).toFixed(1)}%`;
    console.log(`| ${label} | ${n} | ${URGENCY_LEVELS.map((l) => share(row[l])).join(' | ')} | ${share(n - row.low)} |`);
  }
}

function main(): void {
  if (!requireSharedData(EVAL_DIR, 'eval')) return;
  const json = process.argv.includes('--json');
  const facts = modelFacts();
  const Sentiment = require('sentiment') as new () => AfinnAnalyzer;
  const baseline = new Sentiment();
  const files = readdirSync(EVAL_DIR)
    .filter((f) => f.endsWith('.csv'))
    .sort((a, b) => (a.startsWith('semeval') ? -1 : b.startsWith('semeval') ? 1 : a < b ? -1 : 1));
  const results = files.map((f) => evaluateSet(f, readLabelled(path.join(EVAL_DIR, f)), baseline));
  const complaint = requireSharedData(TRAIN_DIR, 'complaint cross-validation') ? crossValidateComplaint() : null;
  const urgency = complaint ? urgencyOnComplaints(complaint) : null;
  if (json) {
    const { probabilities: _p, labels: _l, ...complaintFigures } = complaint ?? { probabilities: [], labels: [] };
    console.log(JSON.stringify({ facts, results, complaint: complaint ? complaintFigures : null, urgency }, null, 2));
    return;
  }
  printTable(results);
  console.log('');
  if (complaint) {
    console.log(
      `Complaint detector: 10-fold cross-validated complaint F1 ${f3(complaint.f1)} (accuracy ${f3(complaint.accuracy)}); published best (Preoţiuc-Pietro et al. 2019): 0.79 F1`,
    );
  }
  if (urgency) {
    console.log('');
    printUrgency(urgency);
    console.log('');
  }
  console.log(`Models: ${facts.sizeMB.toFixed(2)} MB in models/, load ${facts.loadMs.toFixed(0)} ms`);
}

main();
