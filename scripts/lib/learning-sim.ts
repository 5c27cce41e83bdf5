/**
 * The learning curve, by simulation: on each Sanders brand (topic), in time (tweet id) order, a
 * team reads its mentions and corrects every sentiment the analyzer got wrong; the mentions it
 * read and left as they were are confirmations (the inbox knows them: handled, not corrected).
 * The brand's adaptation is relearned after each correction from everything read so far, so the
 * mistakes counted are those of the adapted analyzer. After the first 25 / 50 / 100 / 200
 * corrections, the rest of that brand's stream is scored with and without the adaptation. The
 * shared model under it never saw that brand: its brand layer is retrained without the topic
 * (leave one brand out).
 *
 * With `confirmations: false` the learner sees the corrections only (all of them mistakes: a
 * biased sample), as a team that never marks anything handled would give it.
 */
import { createAnalyzer, learnAdaptation, type Correction, type LearnSettings } from '../../src/analyze/index.js';
import type { HeadsModelData } from '../../src/analyze/heads/model.js';
import type { BrandAdaptation, BrandContext } from '../../src/core/types.js';
import type { SandersSet } from './heads-train.js';
import { computeFigures } from './metrics.js';

export const CURVE_POINTS = [25, 50, 100, 200] as const;
const LABELS = ['negative', 'neutral', 'positive'] as const;
const NOW = '2026-01-01T00:00:00.000Z';

export interface CurveFigures {
  /** Texts scored after the corrections. */
  rest: number;
  sharedNegF1: number;
  adaptedNegF1: number;
  sharedMacroF1: number;
  adaptedMacroF1: number;
  /** Texts of the rest whose label the adaptation changed, and how many of those it got right. */
  changed: number;
  changedRight: number;
  /** Texts the shared model had right that the adaptation got wrong. */
  broke: number;
}

export interface CurvePoint extends CurveFigures {
  corrections: number;
  /** Brands that produced this many mistakes (and have texts left after them). */
  brands: string[];
  /** Per brand. */
  byBrand: Record<string, CurveFigures>;
}

export interface SimulationOptions {
  settings?: LearnSettings;
  /** Pass the mentions read and left alone as confirmations (default true). */
  confirmations?: boolean;
}

interface Scored {
  gold: number[];
  shared: number[];
  adapted: number[];
}

export function simulateLearning(sanders: SandersSet, headsFor: (topic: string) => HeadsModelData, options: SimulationOptions = {}): CurvePoint[] {
  const topics = [...new Set(sanders.topics)].sort();
  const confirmations = options.confirmations ?? true;
  const pooled = new Map<number, Scored & { brands: string[]; byBrand: Record<string, CurveFigures> }>();
  for (const n of CURVE_POINTS) pooled.set(n, { gold: [], shared: [], adapted: [], brands: [], byBrand: {} });
  for (const topic of topics) {
    const heads = headsFor(topic);
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
    // Everything the team has read, oldest first: corrections and (when counted) confirmations.
    const read: Correction[] = [];
    let corrections = 0;
    let adaptation: BrandAdaptation | null = null;
    const max = CURVE_POINTS[CURVE_POINTS.length - 1]!;
    for (let pos = 0; pos < order.length && corrections < max; pos++) {
      const i = order[pos]!;
      const gold = sanders.labels[i]!;
      if (predict(i, adaptation) === gold) {
        if (confirmations) read.push({ text: sanders.texts[i]!.text, label: LABELS[gold]!, confirmed: true });
        continue;
      }
      read.push({ text: sanders.texts[i]!.text, label: LABELS[gold]! });
      corrections++;
      adaptation = learnAdaptation(brand, read, { heads, now: NOW, ...(options.settings ? { settings: options.settings } : {}) });
      const point = pooled.get(corrections);
      if (point === undefined) continue;
      const rest = order.slice(pos + 1);
      if (rest.length === 0) continue;
      const mine: Scored = { gold: [], shared: [], adapted: [] };
      for (const j of rest) {
        mine.gold.push(sanders.labels[j]!);
        mine.shared.push(shared.get(j)!);
        mine.adapted.push(predict(j, adaptation));
      }
      if (process.env.SIM_DEBUG) {
        const moves = new Map<string, number>();
        mine.gold.forEach((g, k) => {
          if (mine.shared[k] === mine.adapted[k]) return;
          const key = `gold ${LABELS[g]}: ${LABELS[mine.shared[k]!]}->${LABELS[mine.adapted[k]!]}`;
          moves.set(key, (moves.get(key) ?? 0) + 1);
        });
        console.log(topic, corrections, JSON.stringify(adaptation.check), 'bias', adaptation.bias.join(' '), [...moves].sort().map(([k, v]) => `${k} ${v}`).join('; '));
      }
      point.brands.push(topic);
      point.byBrand[topic] = figuresOf(mine);
      point.gold.push(...mine.gold);
      point.shared.push(...mine.shared);
      point.adapted.push(...mine.adapted);
    }
  }
  return CURVE_POINTS.map((n) => {
    const p = pooled.get(n)!;
    return { corrections: n, brands: p.brands, byBrand: p.byBrand, ...figuresOf(p) };
  });
}

function figuresOf(s: Scored): CurveFigures {
  const shared = computeFigures(s.gold, s.shared, 3);
  const adapted = computeFigures(s.gold, s.adapted, 3);
  let changed = 0;
  let changedRight = 0;
  let broke = 0;
  s.gold.forEach((g, k) => {
    if (s.adapted[k] !== s.shared[k]) {
      changed++;
      if (s.adapted[k] === g) changedRight++;
      if (s.shared[k] === g) broke++;
    }
  });
  return {
    rest: s.gold.length,
    sharedNegF1: shared.perClass[0]!.f1,
    adaptedNegF1: adapted.perClass[0]!.f1,
    sharedMacroF1: shared.macroF1,
    adaptedMacroF1: adapted.macroF1,
    changed,
    changedRight,
    broke,
  };
}
