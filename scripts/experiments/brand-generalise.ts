/**
 * Does the brand layer generalise to brands and domains it was not trained on? Random 10-fold CV
 * on Sanders shares each brand's vocabulary between train and test; leave-one-brand-out (train on
 * three Sanders topics, score the fourth) does not, and scoring without the brand's handle is how
 * a mention from a source with no handle (RSS, forums) or a brand with no `handles` is read.
 * Variants of the brand layer are compared on those, through the analyzer:
 *
 *   npx tsx scripts/experiments/brand-generalise.ts [variant ...]
 *   npx tsx scripts/experiments/brand-generalise.ts --sxsw variant   (once per design: evaluation only)
 */
import path from 'node:path';
import { createAnalyzer } from '../../src/analyze/index.js';
import { createV1Analyzer } from '../lib/v1.js';
import type { Analyzer } from '../../src/core/types.js';
import { DENSE_INDEX } from '../../src/analyze/heads/dense.js';
import { loadLinearModel, type LinearModel } from '../../src/analyze/sentiment/linear-model.js';
import type { BrandContext } from '../../src/core/types.js';
import { REPO_ROOT, TRAIN_DIR, readLabelled } from '../lib/data.js';
import { buildHeads, withBrandHead, type BrandData, type HeadsBuild } from '../lib/heads-recipe.js';
import type { DenseInput } from '../../src/analyze/heads/model.js';
import { BRAND_INPUTS, HEAD_OPTS, prepareTexts, sxswSet, trainHead, type FloatHead, type HeadTrainOptions, type Prepared } from '../lib/heads-train.js';
import { mulberry32, shuffleInPlace } from '../lib/linear-train.js';
import { computeFigures, type Figures } from '../lib/metrics.js';

interface Variant {
  opts?: Partial<HeadTrainOptions>;
  /** Weight of the complaint tweets. */
  complaints?: number;
  /** Added to the brand logits: blend × the general logits (as dense weights). */
  blend?: number;
  /** Extra general tweets (TweetEval sentiment train) at this weight, no handle. */
  general?: number;
  /** Also train on the Sanders rows with no handle (addressed = 0), at this weight. */
  noHandle?: number;
  /** Per-class offsets added to the bias. */
  offsets?: [number, number, number];
  /** A text the general model calls negative with score <= -t is negative toward the brand. */
  generalNeg?: number;
  /** heads.bin's addressedWhenUnknown. */
  unknown?: number;
  /** Dense inputs left out of the layer. */
  without?: DenseInput[];
}

const VARIANTS: Record<string, Variant> = {
  shipped: {},
  l2s1e3: { opts: { l2Sparse: 1e-3 } },
  l2s1e2: { opts: { l2Sparse: 1e-2 } },
  l2s3e4: { opts: { l2Sparse: 3e-4 } },
  ep3: { opts: { epochs: 3 } },
  blend05: { blend: 0.5 },
  blend1: { blend: 1 },
  gen03: { general: 0.3 },
  gen1: { general: 1 },
  nohandle1: { noHandle: 1 },
  nohandle05: { noHandle: 0.5 },
  compl05: { complaints: 0.5 },
  compl2: { complaints: 2 },
  bal05: { opts: { balance: 0.5 } },
  neg05: { offsets: [0.5, 0, 0] },
  nohandle1_l2s1e3: { noHandle: 1, opts: { l2Sparse: 1e-3 } },
  nohandle1_gen03: { noHandle: 1, general: 0.3 },
  gen03_l2s1e3: { general: 0.3, opts: { l2Sparse: 1e-3 } },
  blend15: { blend: 1.5 },
  l2s1e1: { opts: { l2Sparse: 1e-1 } },
  l2s1e2_blend05: { opts: { l2Sparse: 1e-2 }, blend: 0.5 },
  blend05_neg03: { blend: 0.5, offsets: [0.3, 0, 0] },
  blend075: { blend: 0.75 },
  b075_u0: { blend: 0.75, unknown: 0 },
  shipped3: { blend: 0.75, unknown: 0.559 },
  s3_bal05: { blend: 0.75, unknown: 0.559, opts: { balance: 0.5 } },
  s3_compl05: { blend: 0.75, unknown: 0.559, complaints: 0.5 },
  s3_compl2: { blend: 0.75, unknown: 0.559, complaints: 2 },
  s3_gen03: { blend: 0.75, unknown: 0.559, general: 0.3 },
  noreply: { blend: 0.75, unknown: 0.559, without: ['reply'] },
  noreplyrt: { blend: 0.75, unknown: 0.559, without: ['reply', 'retweet'] },
  nourl: { blend: 0.75, unknown: 0.559, without: ['url'] },
  noquestion: { blend: 0.75, unknown: 0.559, without: ['question'] },
  b075_u03: { blend: 0.75, unknown: 0.294 },
  b075_u056: { blend: 0.75, unknown: 0.559 },
  b075_u1: { blend: 0.75, unknown: 1 },
  gn09: { generalNeg: 0.9 },
  gn08: { generalNeg: 0.8 },
  gn07: { generalNeg: 0.7 },
  gn05: { generalNeg: 0.5 },
  blend05_gn09: { blend: 0.5, generalNeg: 0.9 },
  blend05_gn08: { blend: 0.5, generalNeg: 0.8 },
  blend05_gn07: { blend: 0.5, generalNeg: 0.7 },
  gen03_blend05: { general: 0.3, blend: 0.5 },
  gen1_blend05: { general: 1, blend: 0.5 },
  gen03_blend1: { general: 0.3, blend: 1 },
  gen05_blend05: { general: 0.5, blend: 0.5 },
};

const LABEL_INDEX: Record<string, number> = { negative: 0, neutral: 1, positive: 2, unknown: 1 };
const general = createV1Analyzer();

function labelOf(v: Variant, a: Analyzer, text: string, brand: BrandContext): number {
  const y = LABEL_INDEX[a.analyze({ text, brand }).sentiment.label]!;
  if (y === 0 || v.generalNeg === undefined) return y;
  const g = general.analyze({ text }).sentiment;
  return g.label === 'negative' && g.score <= -v.generalNeg ? 0 : y;
}

let generalCache: { data: Prepared[]; labels: number[] } | null = null;
function generalTweets(sentiment: LinearModel): { data: Prepared[]; labels: number[] } {
  if (generalCache) return generalCache;
  const rows = readLabelled(path.join(TRAIN_DIR, 'tweeteval_sentiment_train.csv'));
  const order = rows.map((_r, i) => i);
  shuffleInPlace(order, mulberry32(11));
  const pick = order.slice(0, 8000).map((i) => rows[i]!);
  generalCache = { data: prepareTexts(pick.map((r) => ({ text: r.text })), sentiment), labels: pick.map((r) => ['negative', 'neutral', 'positive'].indexOf(r.label)) };
  return generalCache;
}

let noHandleCache: Prepared[] | null = null;

function train(v: Variant, brand: BrandData, sentiment: LinearModel, keep: (i: number) => boolean): FloatHead {
  const data: Prepared[] = [];
  const labels: number[] = [];
  const weights: number[] = [];
  brand.sandersPrepared.forEach((d, i) => {
    if (!keep(i)) return;
    data.push(d);
    labels.push(brand.sanders.labels[i]!);
    weights.push(1);
  });
  if (v.noHandle) {
    if (!noHandleCache) {
      noHandleCache = prepareTexts(brand.sanders.texts.map((t) => ({ text: t.text })), sentiment);
      // the complaint and irony margins as the shipped heads give them
      noHandleCache.forEach((d, i) => {
        d.dense[DENSE_INDEX.complaint] = brand.sandersPrepared[i]!.dense[DENSE_INDEX.complaint]!;
        d.dense[DENSE_INDEX.irony] = brand.sandersPrepared[i]!.dense[DENSE_INDEX.irony]!;
      });
    }
    noHandleCache.forEach((d, i) => {
      if (!keep(i)) return;
      data.push(d);
      labels.push(brand.sanders.labels[i]!);
      weights.push(v.noHandle!);
    });
  }
  brand.complaintsPrepared.forEach((d, i) => {
    data.push(d);
    labels.push(brand.complaintBrandLabels[i]!);
    weights.push(v.complaints ?? 1);
  });
  if (v.general) {
    const g = generalTweets(sentiment);
    g.data.forEach((d, i) => {
      data.push(d);
      labels.push(g.labels[i]!);
      weights.push(v.general!);
    });
  }
  const inputs = BRAND_INPUTS.filter((x) => !(v.without ?? []).includes(x));
  const head = trainHead('brand', data, labels, 3, inputs, { ...HEAD_OPTS, ...v.opts }, weights);
  if (v.blend) {
    const K = head.inputs.length;
    head.dense[0 * K + head.inputs.indexOf('general.negative')]! += v.blend;
    head.dense[2 * K + head.inputs.indexOf('general.positive')]! += v.blend;
  }
  if (v.offsets) for (let c = 0; c < 3; c++) head.bias[c]! += v.offsets[c]!;
  return head;
}

interface Row {
  cv: Figures;
  loto: Figures;
  lotoNoHandle: Figures;
}

function headsFor(v: Variant, build: HeadsBuild, head: FloatHead, sentiment: LinearModel) {
  const heads = withBrandHead(build, head, sentiment);
  heads.header.settings = { ...heads.header.settings, addressedWhenUnknown: v.unknown ?? 0 };
  return heads;
}

function brandOf(name: string, handles: readonly string[]): BrandContext {
  return { name, handles: [...handles] };
}

function evaluate(v: Variant, build: HeadsBuild, sentiment: LinearModel): Row {
  const { sanders } = build.brand;
  const n = sanders.labels.length;
  // 10-fold CV as eval does.
  const order = sanders.labels.map((_l, i) => i);
  shuffleInPlace(order, mulberry32(5));
  const cvPred = new Array<number>(n).fill(1);
  for (let k = 0; k < 10; k++) {
    const test = new Set(order.filter((_i, j) => j % 10 === k));
    const analyzer = createAnalyzer({ heads: headsFor(v, build, train(v, build.brand, sentiment, (i) => !test.has(i)), sentiment) });
    for (const i of test) cvPred[i] = labelOf(v, analyzer, sanders.texts[i]!.text, brandOf(sanders.topics[i]!, sanders.texts[i]!.handles ?? []));
  }
  const loto = new Array<number>(n).fill(1);
  const lotoNo = new Array<number>(n).fill(1);
  for (const topic of [...new Set(sanders.topics)]) {
    const analyzer = createAnalyzer({ heads: headsFor(v, build, train(v, build.brand, sentiment, (i) => sanders.topics[i] !== topic), sentiment) });
    sanders.texts.forEach((t, i) => {
      if (sanders.topics[i] !== topic) return;
      loto[i] = labelOf(v, analyzer, t.text, brandOf(topic, t.handles ?? []));
      lotoNo[i] = labelOf(v, analyzer, t.text, brandOf(topic, []));
    });
  }
  return { cv: computeFigures(sanders.labels, cvPred, 3), loto: computeFigures(sanders.labels, loto, 3), lotoNoHandle: computeFigures(sanders.labels, lotoNo, 3) };
}

const f3 = (x: number) => x.toFixed(3);
const cell = (f: Figures) => `${f3(f.perClass[0]!.f1)} / ${f3(f.macroF1)} (P ${f3(f.perClass[0]!.precision)} R ${f3(f.perClass[0]!.recall)})`;

function main(): void {
  const args = process.argv.slice(2);
  const sxsw = args.includes('--sxsw');
  const names = args.filter((a) => !a.startsWith('--'));
  const chosen = names.length > 0 ? names : Object.keys(VARIANTS);
  const sentiment = loadLinearModel(path.join(REPO_ROOT, 'models', 'sentiment.bin'));
  const started = Date.now();
  const build = buildHeads(sentiment);
  console.error(`heads built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (sxsw) {
    const set = sxswSet();
    for (const name of chosen) {
      const v = VARIANTS[name]!;
      const analyzer = createAnalyzer({ heads: headsFor(v, build, train(v, build.brand, sentiment, () => true), sentiment) });
      const pred = set.texts.map((t) => labelOf(v, analyzer, t.text, { name: 'SXSW brands', handles: [] }));
      console.log(`SXSW ${name}: neg F1 / macro-F1 ${cell(computeFigures(set.labels, pred, 3))}`);
    }
    return;
  }
  console.log('| variant | 10-fold CV neg F1 / macro-F1 | leave-one-brand-out | leave-one-brand-out, no handle |');
  console.log('|---|---|---|---|');
  for (const name of chosen) {
    const r = evaluate(VARIANTS[name]!, build, sentiment);
    console.log(`| ${name} | ${cell(r.cv)} | ${cell(r.loto)} | ${cell(r.lotoNoHandle)} |`);
  }
}

main();
