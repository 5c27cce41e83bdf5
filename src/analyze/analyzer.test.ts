import { describe, expect, it } from 'vitest';
import { createAnalyzer, urgencyLevel, URGENCY_THRESHOLDS } from './index.js';
import type { AnalyzeInput, BrandContext } from '../core/types.js';

const analyzer = createAnalyzer();
const acme: BrandContext = { name: 'Acme Cloud', handles: ['acmecloud'] };
const analyze = (text: string, extra: Partial<AnalyzeInput> = {}) => analyzer.analyze({ text, ...extra });

describe('sentiment', () => {
  it.each([
    '44 minutes on hold... Never using you again',
    'gate attendant had some snobby remarks',
    'worst customer service ever, still waiting for my order',
    'this update broke everything and support is useless',
    "I'm so disappointed, the battery died after two days",
    'not good at all',
  ])('reads %j as negative', (text) => {
    const { sentiment } = analyze(text);
    expect(sentiment.label).toBe('negative');
    expect(sentiment.score).toBeLessThan(0);
    expect(sentiment.reasons.length).toBeGreaterThan(0);
  });

  it.each([
    'I love the new dashboard, great job @acmecloud',
    'Thanks so much for the quick help, you guys are awesome!',
    'best coffee in town, highly recommend :)',
  ])('reads %j as positive', (text) => {
    const { sentiment } = analyze(text);
    expect(sentiment.label).toBe('positive');
    expect(sentiment.score).toBeGreaterThan(0);
    expect(sentiment.reasons.length).toBeGreaterThan(0);
  });

  it.each([
    'Acme Cloud announces new region in Frankfurt',
    'The meeting is scheduled for Tuesday at 3pm',
  ])('reads %j as neutral', (text) => {
    expect(analyze(text).sentiment.label).toBe('neutral');
  });

  it('names the words that weighed most, with their sign', () => {
    const { sentiment } = analyze('44 minutes on hold... Never using you again');
    // The complaint it is comes first, quoting its words; then the words, with their pull.
    expect(sentiment.reasons[0]).toMatch(/^complaint: "[^"]+"$/);
    const words = sentiment.reasons.find((r) => /never using you again/i.test(r));
    expect(words).toMatch(/\(-0\.\d\d\)$/);
    const positive = analyze('I love the new dashboard').sentiment;
    expect(positive.reasons[0]).toMatch(/love/i);
    expect(positive.reasons[0]).toMatch(/\(\+\d\.\d\d\)$/);
  });

  it('flips a word under negation', () => {
    expect(analyze('the support team was helpful').sentiment.label).toBe('positive');
    const negated = analyze('the support team was not helpful').sentiment;
    expect(negated.label).toBe('negative');
    expect(negated.reasons.join(' ')).toMatch(/negation: "[^"]*not helpful"/);
  });

  it('repairs entities and mojibake before reading', () => {
    const clean = analyze("I don't like this & I want it fixed");
    const mangled = analyze('I donâ€™t like this &amp; I want it fixed');
    expect(mangled.sentiment).toEqual(clean.sentiment);
  });
});

describe('brand vocabulary', () => {
  it('makes "sick" praise for a skateboard brand', () => {
    const plain = analyze('that new deck is sick');
    expect(plain.sentiment.label).toBe('negative');
    const skate = analyze('that new deck is sick', { brand: { name: 'Sk8', handles: [], vocabulary: { sick: 0.6 } } });
    expect(skate.sentiment.label).toBe('positive');
    expect(skate.sentiment.reasons[0]).toMatch(/^brand vocabulary: "sick" \(\+/);
  });

  it('neutralises a product name', () => {
    const text = 'Just installed Crash on my laptop';
    const plain = analyze(text);
    const brand = { name: 'Crash', handles: [], vocabulary: { crash: 0 } };
    const neutral = analyze(text, { brand });
    expect(neutral.sentiment.score).toBeGreaterThan(plain.sentiment.score);
    expect(neutral.sentiment.label).not.toBe('negative');
    expect(neutral.urgency.reasons.join(' ')).not.toMatch(/crisis/);
  });

  it('turns a negated praise word into criticism', () => {
    const brand = { name: 'Sk8', handles: [], vocabulary: { sick: 0.8 } };
    expect(analyze('this deck is not sick', { brand }).sentiment.score).toBeLessThan(analyze('this deck is sick', { brand }).sentiment.score);
  });
});

describe('urgency', () => {
  it('is critical for an outage with data loss addressed to the brand by a large account', () => {
    const { urgency, sentiment } = analyze('@acmecloud your API is down, we are losing money, data loss!!', {
      reach: 120_000,
      brand: acme,
    });
    expect(sentiment.label).toBe('negative');
    expect(urgency.level).toBe('critical');
    expect(urgency.reasons).toEqual(
      expect.arrayContaining(['crisis: "API is down" (down)', 'crisis: "data loss" (data loss)', 'reach: 120k followers', 'complaint to @acmecloud']),
    );
  });

  it('is low for praise, even from a large account', () => {
    const { urgency } = analyze('I love the new dashboard, great job @acmecloud', { reach: 2_000_000, brand: acme });
    expect(urgency.level).toBe('low');
  });

  it('rises for a question addressed to the brand', () => {
    const toBrand = analyze('@acmecloud how do I reset my password?', { brand: acme }).urgency;
    const toNobody = analyze('how do I reset my password?', { brand: acme }).urgency;
    expect(toBrand.score).toBeGreaterThan(toNobody.score);
    expect(toBrand.level).not.toBe('low');
    expect(toBrand.reasons).toContain('question to @acmecloud');
  });

  it('ranks a refund complaint above a neutral remark, and reach raises a complaint', () => {
    const complaint = analyze('@acmecloud I was charged twice, I want a refund', { brand: acme }).urgency;
    const remark = analyze('Acme Cloud has a new logo', { brand: acme }).urgency;
    expect(complaint.score).toBeGreaterThan(remark.score);
    expect(['high', 'critical']).toContain(complaint.level);
    expect(complaint.reasons).toContain('crisis: "charged twice" (refund)');
    const loud = analyze('@acmecloud I was charged twice, I want a refund', { brand: acme, reach: 500_000 }).urgency;
    expect(loud.score).toBeGreaterThan(complaint.score);
  });

  it('counts engagement on a complaint', () => {
    const text = 'the acme cloud console has been broken all day, terrible';
    const quiet = analyze(text).urgency.score;
    const viral = analyze(text, { metrics: { retweets: 4000, likes: 9000 } }).urgency;
    expect(viral.score).toBeGreaterThan(quiet);
    expect(viral.reasons).toContain('engagement: 13k');
  });

  it('does not read "down" in ordinary phrases as an outage', () => {
    expect(analyze('calm down, the new release looks fine').urgency.reasons.join(' ')).not.toMatch(/crisis/);
    expect(analyze('the site is down again').urgency.reasons).toContain('crisis: "site is down" (down)');
  });

  it('reads a product that broke down as not working, not as an outage', () => {
    for (const text of ['my e-bike broke down again', 'the car was broken down by the road', 'it breaks down every week']) {
      const reasons = analyze(text).urgency.reasons.join(' ');
      expect(reasons).not.toMatch(/\(down\)/);
      expect(reasons).toMatch(/\(not working\)/);
    }
    expect(analyze('the app went down again').urgency.reasons).toContain('crisis: "app went down" (down)');
  });

  it.each([
    [0, 'low'],
    [URGENCY_THRESHOLDS.medium - 0.001, 'low'],
    [URGENCY_THRESHOLDS.medium, 'medium'],
    [URGENCY_THRESHOLDS.high, 'high'],
    [URGENCY_THRESHOLDS.critical - 0.001, 'high'],
    [URGENCY_THRESHOLDS.critical, 'critical'],
    [1, 'critical'],
  ] as const)('urgencyLevel(%s) = %s', (score, level) => {
    expect(urgencyLevel(score)).toBe(level);
  });
});

describe('language', () => {
  it.each([
    ['Das ist wirklich ein schlechter Service, ich bin sehr enttäuscht', 'de'],
    ['El servicio es muy malo, nunca más compro aquí', 'es'],
    ["Le service client est nul, je suis vraiment déçu par cette commande", 'fr'],
    ['Não gostei do atendimento, muito ruim mesmo', 'pt'],
    ['このサービスは最悪です', 'ja'],
  ])('labels %j as unknown sentiment (%s), not a guess', (text, code) => {
    const result = analyze(text);
    expect(result.language).toBe(code);
    expect(result.sentiment.label).toBe('unknown');
    expect(result.sentiment.score).toBe(0);
    expect(result.sentiment.reasons[0]).toMatch(/language not supported/);
  });

  it('labels Cyrillic text as unknown and names a Cyrillic-script language', () => {
    // franc cannot tell Russian from Bulgarian reliably in a few words; it is not English either way.
    const result = analyze('Это ужасный сервис, больше никогда');
    expect(['ru', 'uk', 'bg', 'sr', 'be', 'kk']).toContain(result.language);
    expect(result.sentiment.label).toBe('unknown');
  });

  it.each([
    'I love my new phone',
    'gate attendant had some snobby remarks',
    'the acme cloud console has been broken all day',
  ])('detects English in %j', (text) => {
    expect(analyze(text).language).toBe('en');
  });

  it('says null for text too short to tell, and still scores it', () => {
    const result = analyze('lol ok');
    expect(result.language).toBeNull();
    expect(result.sentiment.label).not.toBe('unknown');
  });
});

describe('contract', () => {
  const samples = [
    '',
    '!!!',
    '😡😡😡',
    'a'.repeat(10_000),
    'RT @someone: check https://example.com/x?y=1 #deal 50% off',
    'I HATE THIS SOOOOO MUCH!!!',
  ];

  it.each(samples)('keeps scores in range for %j', (text) => {
    const { sentiment, urgency } = analyze(text, { reach: 10, brand: acme });
    expect(sentiment.score).toBeGreaterThanOrEqual(-1);
    expect(sentiment.score).toBeLessThanOrEqual(1);
    expect(urgency.score).toBeGreaterThanOrEqual(0);
    expect(urgency.score).toBeLessThanOrEqual(1);
    expect(urgencyLevel(urgency.score)).toBe(urgency.level);
    if (sentiment.label === 'negative' || sentiment.label === 'positive') expect(sentiment.reasons.length).toBeGreaterThan(0);
  });

  it('is deterministic, also across analyzer instances', () => {
    const input = { text: '@acmecloud your API is down, we are losing money', reach: 5000, brand: acme };
    const first = analyzer.analyze(input);
    expect(analyzer.analyze(input)).toEqual(first);
    expect(createAnalyzer().analyze(input)).toEqual(first);
  });

  it('reads the title with the text', () => {
    const result = analyze('', { title: 'Terrible experience with Acme support' });
    expect(result.sentiment.label).toBe('negative');
  });

  it('names the missing model file when modelDir is wrong', () => {
    expect(() => createAnalyzer({ modelDir: '/nonexistent/models' })).toThrow(/sentiment\.bin is missing/);
  });
});
