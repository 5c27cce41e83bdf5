/**
 * Sentiment toward the brand, with the examples of issue #16 (texts written for a made-up e-bike
 * brand, and the customer-service misses it lists), each a case here.
 */
import { describe, expect, it } from 'vitest';
import { createAnalyzer } from './index.js';
import type { AnalyzeInput, BrandContext } from '../core/types.js';

const analyzer = createAnalyzer();
const zephyr: BrandContext = { name: 'Zephyr Bikes', handles: ['zephyrbikes'] };
const analyze = (text: string, extra: Partial<AnalyzeInput> = {}) => analyzer.analyze({ text, brand: zephyr, ...extra });

describe('safety and legal threats', () => {
  it.each([
    ['battery fire?! my Zephyr started smoking in the garage last night. Terrifying. Is anyone going to respond?', 'safety threat: "battery fire"', 'crisis: "battery fire" (safety)'],
    ['filing a class action lawsuit against Zephyr Bikes over the battery fires', 'legal threat: "class action"', 'crisis: "class action" (legal)'],
  ])('%j is negative and critical, quoting the threat', (text, sentimentReason, urgencyReason) => {
    const { sentiment, urgency } = analyze(text);
    expect(sentiment.label).toBe('negative');
    expect(sentiment.reasons[0]).toBe(sentimentReason);
    expect(urgency.level).toBe('critical');
    expect(urgency.reasons[0]).toBe(urgencyReason);
  });

  it('does not read "I recall" as a product recall', () => {
    expect(analyze('I recall the Trail 2 being lighter').urgency.reasons.join(' ')).not.toMatch(/crisis/);
  });
});

describe('neutral texts', () => {
  it('reads a product question as neutral, and the question to the handle still needs a reply', () => {
    const { sentiment, urgency } = analyze('@zephyrbikes does the Trail 2 fit riders under 160cm?');
    expect(sentiment.label).toBe('neutral');
    expect(urgency.level).toBe('medium');
    expect(urgency.reasons).toEqual(['question to @zephyrbikes']);
  });

  it.each(['Zephyr Bikes', '@zephyrbikes', 'Zephyr Bikes!!', '#zephyrbikes https://zephyr.example/bikes', ''])('reads %j, only the brand, as neutral and low', (text) => {
    const { sentiment, urgency, flags } = analyze(text);
    expect(sentiment).toEqual({ label: 'neutral', score: 0, reasons: [] });
    expect(urgency.level).toBe('low');
    expect(flags).toEqual({ offensive: 0, hate: 0, irony: 0 });
  });

  it('reads a product announcement as not negative and not a complaint', () => {
    const { sentiment, urgency } = analyze('Zephyr Bikes announces the Trail 3 with a bigger battery, available in March');
    expect(sentiment.label).not.toBe('negative');
    expect(urgency.level).toBe('low');
    expect(urgency.reasons.join(' ')).not.toMatch(/complaint/);
  });

  it('does not let negativity about something else drag a mention down', () => {
    expect(analyze('my ride on the Zephyr was great, the weather is awful').sentiment.label).not.toBe('negative');
  });
});

describe('sarcasm toward the brand', () => {
  it.each([
    ['Oh great, my e-bike broke down again', /^sarcasm: "Oh great"$/],
    ['Three weeks waiting for a reply from @zephyrbikes. Truly world-class service', /./],
    ['Best purchase ever /s', /^sarcasm: "\/s"$/],
    ['thank you @zephyrbikes for leaving my bike in Houston!', /^sarcasm: "thank you @zephyrbikes for leaving"$/],
  ])('reads %j as negative', (text, firstReason) => {
    const { sentiment } = analyze(text);
    expect(sentiment.label).toBe('negative');
    expect(sentiment.score).toBeLessThan(0);
    expect(sentiment.reasons[0]).toMatch(firstReason);
  });
});

describe('complaints to the brand', () => {
  it.each([
    ["@zephyrbikes where's my bag? line 200 deep", 'high'],
    ['4 hour holds @zephyrbikes #nothanks', 'high'],
    ['@zephyrbikes where is my refund? 3 weeks now', 'high'],
  ])('reads %j as a negative complaint, quoting it', (text, level) => {
    const { sentiment, urgency } = analyze(text);
    expect(sentiment.label).toBe('negative');
    expect(sentiment.reasons[0]).toMatch(/^complaint: "[^"]+"$/);
    expect(urgency.level).toBe(level);
    expect(urgency.reasons.some((r) => /^complaint: "[^"]+" \(0\.\d\d\)$/.test(r))).toBe(true);
  });

  it('quotes "where is my refund"', () => {
    expect(analyze('@zephyrbikes where is my refund? 3 weeks now').sentiment.reasons[0]).toBe('complaint: "where is my refund"');
  });

  it('quotes the words of a crisis term, not only its category', () => {
    const { urgency } = analyze('I am disputing the charge with my bank, @zephyrbikes never delivered');
    expect(urgency.reasons).toContain('crisis: "disputing the charge" (refund)');
  });

  it('keeps critical for crises: a complaint with a question is high', () => {
    expect(analyze('@zephyrbikes where is my refund? 3 weeks now').urgency.level).toBe('high');
  });
});

describe('a complaint resolved happily', () => {
  it('is neither negative nor urgent, and says why', () => {
    const { sentiment, urgency } = analyze('My wheel broke after a week, but @zephyrbikes replaced my broken wheel for free. Happy in the end.');
    expect(sentiment.label).not.toBe('negative');
    expect(sentiment.reasons[0]).toBe('resolved: "replaced my broken wheel for free"');
    expect(urgency.level).toBe('low');
  });

  it('is still a complaint when it is not over', () => {
    expect(analyze('they replaced my broken wheel for free, and now it is broken again').sentiment.label).toBe('negative');
  });
});

describe('flags', () => {
  it('scores abuse as offensive and leaves a fan post alone', () => {
    const abuse = analyze('you are all idiots and your bikes are shit').flags;
    expect(abuse.offensive).toBeGreaterThanOrEqual(0.5);
    const fan = analyze('Love my new Zephyr, best commute of my life! #ebike').flags;
    expect(fan.offensive).toBeLessThan(0.5);
    expect(fan.hate).toBeLessThan(0.5);
  });

  it('keeps a harsh customer complaint below the 0.8 of earshot init\'s moderation rule, and abuse above it', () => {
    const complaint = analyze('Zephyr Bikes lost my order again, support is useless and I want a refund').flags;
    expect(complaint.offensive).toBeLessThan(0.8);
    expect(complaint.hate).toBeLessThan(0.8);
    expect(analyze('you are all idiots and your bikes are shit').flags.offensive).toBeGreaterThanOrEqual(0.8);
  });

  it('keeps every flag in [0, 1]', () => {
    for (const text of ['', 'ok', 'I HATE THIS', 'a'.repeat(5000), 'fuck fuck fuck']) {
      for (const value of Object.values(analyze(text).flags)) {
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
      }
    }
  });

  it('gives no flags to text in a language the models are not trained for', () => {
    expect(analyze('Das ist wirklich ein schlechter Service, ich bin sehr enttäuscht').flags).toEqual({ offensive: 0, hate: 0, irony: 0 });
  });
});

describe('context', () => {
  it('reads a complaint addressed to the brand as at least as negative as the same words unaddressed', () => {
    const to = analyze('@zephyrbikes my order still has not shipped').sentiment.score;
    const about = analyze('my order still has not shipped', { brand: { name: 'Zephyr Bikes', handles: [] } }).sentiment.score;
    expect(to).toBeLessThanOrEqual(about);
  });

  it('treats "addressed" as unknown, not "no", for a brand with no handles', () => {
    // The same text: with handles configured it is known not to address the brand (a sign against
    // negative the brand layer learned); without handles that is unknown.
    for (const text of ['my Zephyr order still has not shipped, two weeks now', 'the Zephyr Trail 2 battery lasts about 40 km']) {
      const noHandles = analyze(text, { brand: { name: 'Zephyr Bikes', handles: [] } }).sentiment.score;
      const notAddressed = analyze(text, { brand: { name: 'Zephyr Bikes', handles: ['zephyrbikes'] } }).sentiment.score;
      expect(noHandles).toBeLessThan(notAddressed);
    }
  });

  it('reads general sentiment without a brand context', () => {
    // `earshot analyze` without --brand: the general model alone, which still reads plain praise and complaint.
    expect(analyzer.analyze({ text: 'this is the worst service ever, I hate it' }).sentiment.label).toBe('negative');
    expect(analyzer.analyze({ text: 'love it, best day ever, thank you so much' }).sentiment.label).toBe('positive');
    const general = analyzer.analyze({ text: '@zephyrbikes does the Trail 2 fit riders under 160cm?' });
    expect(general.flags.offensive).toBeLessThan(0.5);
  });
});
