import { describe, expect, it } from 'vitest';
import { createAnalyzer, describeAdaptation, learnAdaptation, type Correction } from '../index.js';
import type { BrandContext } from '../../core/types.js';

const analyzer = createAnalyzer();
const brand: BrandContext = { name: 'Sk8 Co', handles: ['sk8co'] };

// A skateboard brand whose fans call good decks "sick" and "filthy", and whose name is also a
// ski resort's that the team keeps marking as not relevant.
const corrections: Correction[] = [
  { text: 'that new sk8co deck is sick', label: 'positive' },
  { text: 'the sk8co pro model is so sick', label: 'positive' },
  { text: 'sick deck from sk8co, filthy graphics', label: 'positive' },
  { text: 'filthy wheels on the new sk8co completes', label: 'positive' },
  { text: 'sk8co trucks are sick, grinding all day', label: 'positive' },
  { text: 'snow report: Sk8 Co ski resort opens lifts on friday', label: 'irrelevant' },
  { text: 'Sk8 Co ski resort lift tickets went up again', label: 'irrelevant' },
  { text: 'skiing at Sk8 Co resort this weekend, fresh powder', label: 'irrelevant' },
  { text: 'sk8co shipped my board with a cracked tail', label: 'negative' },
];
const NOW = '2026-12-04T12:00:00.000Z';

describe('learnAdaptation', () => {
  const adaptation = learnAdaptation(brand, corrections, { now: NOW });
  const adapted: BrandContext = { ...brand, adaptation };

  it('reads texts like the corrected ones the way the team does', () => {
    const text = 'my new sk8co deck is so sick';
    expect(analyzer.analyze({ text, brand }).sentiment.label).not.toBe('positive');
    const after = analyzer.analyze({ text, brand: adapted }).sentiment;
    expect(after.label).toBe('positive');
    expect(after.reasons).toContain('learned from 9 corrections');
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
    expect(learnAdaptation(brand, corrections, { now: NOW })).toEqual(adaptation);
    const copy = JSON.parse(JSON.stringify(adaptation)) as typeof adaptation;
    const text = 'sick new wheels from sk8co';
    expect(analyzer.analyze({ text, brand: { ...brand, adaptation: copy } })).toEqual(analyzer.analyze({ text, brand: adapted }));
    expect(adaptation.examples).toEqual({ negative: 1, neutral: 0, positive: 5, irrelevant: 3 });
    expect(adaptation.learnedAt).toBe(NOW);
  });

  it('names what it learned, and what changed since the last time', () => {
    expect(adaptation.top.some((t) => t.words === 'sick' && t.label === 'positive')).toBe(true);
    const lines = describeAdaptation(null, adaptation);
    expect(lines[0]).toBe('learned from 9 corrections: 1 negative, 0 neutral, 5 positive, 3 not relevant');
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

  it('refuses an adaptation of an unknown format, saying what to do', () => {
    const bad = { ...adaptation, version: 2 } as unknown as typeof adaptation;
    expect(() => analyzer.analyze({ text: 'x', brand: { ...brand, adaptation: bad } })).toThrow(/earshot learn/);
  });
});
