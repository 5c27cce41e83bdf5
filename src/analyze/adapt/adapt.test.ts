import { describe, expect, it } from 'vitest';
import { createAnalyzer, describeAdaptation, learnAdaptation, type Correction } from '../index.js';
import { adaptedClass, LEARN_SETTINGS } from './index.js';
import type { BrandContext, SentimentLabel } from '../../core/types.js';
import { SK8_ORDINARY } from '../../../test/helpers/sk8-brand.js';

const analyzer = createAnalyzer();
const brand: BrandContext = { name: 'Sk8 Co', handles: ['sk8co'] };

/** A mention the team handled without correcting it: its label is the analyzer's. */
function confirmed(text: string): Correction {
  const label = analyzer.analyze({ text, brand }).sentiment.label as Exclude<SentimentLabel, 'unknown'>;
  return { text, label, confirmed: true };
}

const ORDINARY = SK8_ORDINARY;

// A skateboard brand whose fans call good decks "sick" and "filthy", and whose name is also a
// ski resort's that the team keeps marking as not relevant.
const corrections: Correction[] = [
  { text: 'that new sk8co deck is sick', label: 'positive' },
  { text: 'the sk8co pro model is so sick', label: 'positive' },
  { text: 'sick deck from sk8co, filthy graphics', label: 'positive' },
  { text: 'filthy wheels on the new sk8co completes', label: 'positive' },
  { text: 'sk8co trucks are sick, grinding all day', label: 'positive' },
  { text: 'got the sk8co street deck, so sick', label: 'positive' },
  { text: 'sk8co just dropped a sick new graphic series', label: 'positive' },
  { text: 'filthy pop on this sk8co deck, sick', label: 'positive' },
  { text: 'snow report: Sk8 Co ski resort opens lifts on friday', label: 'irrelevant' },
  { text: 'Sk8 Co ski resort lift tickets went up again', label: 'irrelevant' },
  { text: 'skiing at Sk8 Co resort this weekend, fresh powder', label: 'irrelevant' },
  { text: 'sk8co shipped my board with a cracked tail', label: 'negative' },
];
const NOW = '2026-12-04T12:00:00.000Z';
const PROBE_SICK = 'my new sk8co deck is so sick';

// What `earshot learn` passes: corrections and confirmations, oldest first.
const stream: Correction[] = [];
ORDINARY.forEach((text, i) => {
  stream.push(confirmed(text));
  if (i < corrections.length) stream.push(corrections[i]!);
});
stream.push(...corrections.slice(ORDINARY.length));

describe('learnAdaptation', () => {
  const adaptation = learnAdaptation(brand, stream, { now: NOW });
  const adapted: BrandContext = { ...brand, adaptation };

  it('reads texts like the corrected ones the way the team does', () => {
    const text = 'my new sk8co deck is so sick';
    expect(analyzer.analyze({ text, brand }).sentiment.label).not.toBe('positive');
    const after = analyzer.analyze({ text, brand: adapted }).sentiment;
    expect(after.label).toBe('positive');
    expect(after.reasons).toContain('learned from 12 corrections');
  });

  it('is reversible: without it the shared model answers, unchanged', () => {
    const text = 'my new sk8co deck is so sick';
    const plain = analyzer.analyze({ text, brand });
    analyzer.analyze({ text, brand: adapted });
    expect(analyzer.analyze({ text, brand: { ...brand, adaptation: null } })).toEqual(plain);
    expect(plain.irrelevant).toBeUndefined();
  });

  it('keeps what the shared model knows about other texts', () => {
    for (const text of ['@sk8co my order never arrived and nobody answers', 'love the new sk8co shop in Berlin, great staff']) {
      expect(analyzer.analyze({ text, brand: adapted }).sentiment.label).toBe(analyzer.analyze({ text, brand }).sentiment.label);
    }
  });

  it('learns "not relevant" from the team and scores it per mention', () => {
    const ski = analyzer.analyze({ text: 'Sk8 Co ski resort: new lift and fresh powder', brand: adapted });
    const board = analyzer.analyze({ text: 'new sk8co deck arrived, sick graphics', brand: adapted });
    expect(ski.irrelevant).toBeGreaterThan(0.5);
    expect(board.irrelevant).toBeLessThan(0.5);
  });

  it('is plain JSON, deterministic, and survives a round trip', () => {
    expect(learnAdaptation(brand, stream, { now: NOW })).toEqual(adaptation);
    const copy = JSON.parse(JSON.stringify(adaptation)) as typeof adaptation;
    const text = 'sick new wheels from sk8co';
    expect(analyzer.analyze({ text, brand: { ...brand, adaptation: copy } })).toEqual(analyzer.analyze({ text, brand: adapted }));
    expect(adaptation.examples).toEqual({ negative: 1, neutral: 0, positive: 8, irrelevant: 3 });
    expect(adaptation.confirmed).toBe(16);
    expect(adaptation.learnedAt).toBe(NOW);
  });

  it('names what it learned, and what changed since the last time', () => {
    expect(adaptation.top.some((t) => t.words === 'sick' && t.label === 'positive')).toBe(true);
    const lines = describeAdaptation(null, adaptation);
    expect(lines[0]).toBe('learned from 12 corrections: 1 negative, 0 neutral, 8 positive, 3 not relevant');
    expect(lines[1]).toBe('and 16 mentions handled without a correction (their labels were right)');
    expect(lines[2]).toMatch(/^checked on the brand's own examples: learned from the earlier ones, it got \d+ of the \d+ more recent ones right, the shared model \d+; applied/);
    expect(lines.some((l) => /^\+ "sick" -> positive/.test(l))).toBe(true);
    const again = describeAdaptation(adaptation, adaptation);
    expect(again.some((l) => /^\+ /.test(l))).toBe(false);
  });

  it('learns nothing from no corrections', () => {
    const empty = learnAdaptation(brand, [], { now: NOW });
    expect(empty.weights).toEqual({});
    expect(empty.relevance).toBeNull();
    const text = 'that new sk8co deck is sick';
    expect(analyzer.analyze({ text, brand: { ...brand, adaptation: empty } }).sentiment).toEqual(analyzer.analyze({ text, brand }).sentiment);
  });

  it('checks itself on the most recent examples, and applies nothing that does not hold up there', () => {
    expect(adaptation.check?.strength).toBeGreaterThan(0);
    // Applied because it does better on macro-F1; it may get as many right as the shared model.
    expect(adaptation.check!.adaptedRight).toBeGreaterThanOrEqual(adaptation.check!.sharedRight);
    // The team flips a coin: the same kind of text (which the shared model reads as positive, so
    // it is right half the time) corrected both ways.
    const noisy: Correction[] = [];
    ORDINARY.forEach((text, i) => {
      noisy.push(confirmed(text));
      noisy.push({ text: `${['great', 'fine', 'ok', 'nice'][i % 4]} sk8co deck number ${i}`, label: (['negative', 'positive'] as const)[Math.floor(i / 4) % 2]! });
    });
    const coin = learnAdaptation(brand, noisy, { now: NOW });
    expect(coin.check?.strength).toBe(0);
    for (const text of [...ORDINARY, 'sk8co deck number 99 is fine', PROBE_SICK]) {
      expect(analyzer.analyze({ text, brand: { ...brand, adaptation: coin } }).sentiment).toEqual(analyzer.analyze({ text, brand }).sentiment);
    }
    expect(describeAdaptation(null, coin)).toContain(
      `not applied: learned from the earlier examples, it did no better than the shared model on the ${coin.check!.heldOut} more recent ones (the shared model got ${coin.check!.sharedRight} right); the shared model answers`,
    );
  });

  it('applies corrections alone at reduced strength, and says it could not check them', () => {
    const alone = learnAdaptation(brand, corrections, { now: NOW });
    expect(alone.check).toBeUndefined();
    expect(describeAdaptation(null, alone)).toContain('not checked (no mention was handled without a correction, so there is nothing to check it against): applied at reduced strength');
    const full = learnAdaptation(brand, corrections, { now: NOW, settings: { ...LEARN_SETTINGS, unchecked: 1 } });
    expect(Math.abs(alone.bias[2])).toBeCloseTo(Math.abs(full.bias[2]) / 2, 3);
  });

  it('keeps a negative the shared model found unless the adaptation is fairly sure it is not', () => {
    // P(negative) after the adaptation: 0.31 (kept), 0.035 (changed); a shared non-negative is free to move.
    expect(adaptedClass([2, 0, 0], [0.5, 1, 0], LEARN_SETTINGS.keepNegative)).toBe(0);
    expect(adaptedClass([2, 0, 0], [-2, 1, 0], LEARN_SETTINGS.keepNegative)).toBe(1);
    expect(adaptedClass([0, 2, 0], [0.5, 1, 0], LEARN_SETTINGS.keepNegative)).toBe(1);
  });

  it('refuses an adaptation of an unknown format, saying what to do', () => {
    const bad = { ...adaptation, version: 2 } as unknown as typeof adaptation;
    expect(() => analyzer.analyze({ text: 'x', brand: { ...brand, adaptation: bad } })).toThrow(/earshot learn/);
  });
});
