/**
 * The learning curve, by simulation: on each Sanders brand (topic), in time (tweet id) order, a
 * team corrects every mistake it sees; the brand's adaptation is relearned after each correction.
 * After the first 25 / 50 / 100 / 200 corrections, the rest of that brand's stream is scored with
 * and without the adaptation. The shared model under it never saw that brand: its brand layer is
 * retrained without the topic (leave one brand out).
 */
import { createAnalyzer, learnAdaptation, type Correction, type LearnSettings } from '../../src/analyze/index.js';
import type { BrandAdaptation, BrandContext } from '../../src/core/types.js';
import type { LinearModel } from '../../src/analyze/sentiment/linear-model.js';
import { trainBrandHead, withBrandHead, type HeadsBuild } from './heads-recipe.js';
import { computeFigures } from './metrics.js';

export const CURVE_POINTS = [25, 50, 100, 200] as const;
const LABELS = ['negative', 'neutral', 'positive'] as const;
const NOW = '2026-01-01T00:00:00.000Z';

export interface CurvePoint {
  corrections: number;
  /** Brands that produced this many mistakes (and have texts left after them). */
  brands: string[];
  /** Texts scored after the corrections, all brands together. */
  rest: number;
  sharedNegF1: number;
  adaptedNegF1: number;
  sharedMacroF1: number;
  adaptedMacroF1: number;
}

export function simulateLearning(build: HeadsBuild, sentiment: LinearModel, settings?: LearnSettings, confirmations = false): CurvePoint[] {
  const { sanders } = build.brand;
  const topics = [...new Set(sanders.topics)].sort();
  const pooled = new Map<number, { gold: number[]; shared: number[]; adapted: number[]; brands: string[] }>();
  for (const n of CURVE_POINTS) pooled.set(n, { gold: [], shared: [], adapted: [], brands: [] });
  for (const topic of topics) {
    const heads = withBrandHead(build, trainBrandHead(build.brand, (i) => sanders.topics[i] !== topic), sentiment);
    const analyzer = createAnalyzer({ heads });
    const brand: BrandContext = { name: topic, handles: [topic] };
    const order = sanders.ids
      .map((id, i) => ({ id: BigInt(id), i }))
      .filter((x) => sanders.topics[x.i] === topic)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((x) => x.i);
    const predict = (i: number, adaptation: BrandAdaptation | null): number =>
      LABELS.indexOf(analyzer.analyze({ text: sanders.texts[i]!.text, brand: adaptation ? { ...brand, adaptation } : brand }).sentiment.label as (typeof LABELS)[number]);
    const shared = new Map(order.map((i) => [i, predict(i, null)]));
    const corrections: Correction[] = [];
    // Mentions the team saw and left as they were (confirmations), when counted.
    const seen: Correction[] = [];
    let adaptation: BrandAdaptation | null = null;
    const max = CURVE_POINTS[CURVE_POINTS.length - 1]!;
    for (let pos = 0; pos < order.length && corrections.length < max; pos++) {
      const i = order[pos]!;
      const gold = sanders.labels[i]!;
      if (predict(i, adaptation) === gold) {
        if (confirmations) seen.push({ text: sanders.texts[i]!.text, label: LABELS[gold]! });
        continue;
      }
      corrections.push({ text: sanders.texts[i]!.text, label: LABELS[gold]! });
      adaptation = learnAdaptation(brand, [...seen, ...corrections], { heads, now: NOW, ...(settings ? { settings } : {}) });
      const point = pooled.get(corrections.length);
      if (point === undefined) continue;
      const rest = order.slice(pos + 1);
      if (rest.length === 0) continue;
      point.brands.push(topic);
      for (const j of rest) {
        point.gold.push(sanders.labels[j]!);
        point.shared.push(shared.get(j)!);
        point.adapted.push(predict(j, adaptation));
      }
    }
  }
  return CURVE_POINTS.map((n) => {
    const p = pooled.get(n)!;
    const s = computeFigures(p.gold, p.shared, 3);
    const a = computeFigures(p.gold, p.adapted, 3);
    if (process.env.SIM_DEBUG) console.log(n, 'shared', s.perClass.map((c) => `${c.precision.toFixed(2)}/${c.recall.toFixed(2)}`).join(' '), 'adapted', a.perClass.map((c) => `${c.precision.toFixed(2)}/${c.recall.toFixed(2)}`).join(' '));
    return { corrections: n, brands: p.brands, rest: p.gold.length, sharedNegF1: s.perClass[0]!.f1, adaptedNegF1: a.perClass[0]!.f1, sharedMacroF1: s.macroF1, adaptedMacroF1: a.macroF1 };
  });
}
