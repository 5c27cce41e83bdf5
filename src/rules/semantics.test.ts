import { describe, expect, it } from 'vitest';
import { compileQuery } from '../analyze/query/index.js';
import type { CompiledMatch, MentionRule } from './model.js';
import type { Mention } from '../core/types.js';
import { anyMatch, mentionRule } from '../../test/helpers/rule-support.js';
import { groupDue, groupDueAt, groupKeyFor, matchesRule, summarize } from './semantics.js';

function mention(over: Partial<Mention> = {}): Mention {
  return {
    id: 1,
    brand: 'acme',
    source: 'twitter',
    sourceKey: 'acme/twitter',
    sourceId: '1',
    url: 'https://x.com/a/status/1',
    author: 'Dana',
    reach: 1200,
    title: '',
    text: 'Acme Cloud is down and we want a refund',
    kind: 'post',
    linkUrl: null,
    language: 'en',
    publishedAt: '2026-11-23T08:00:00.000Z',
    fetchedAt: '2026-11-23T08:00:05.000Z',
    matchedTerms: ['"acme cloud"'],
    sentiment: { label: 'negative', score: -0.7, reasons: [] },
    urgency: { level: 'high', score: 0.7, reasons: [] },
    duplicateOf: null,
    storyKey: null,
    metrics: {},
    ...over,
  };
}

/** A match with no conditions (selects every mention). */
const none: CompiledMatch = anyMatch();

describe('matchesRule', () => {
  it.each<[string, Partial<CompiledMatch>, Partial<Mention>, boolean]>([
    ['empty match selects everything', {}, {}, true],
    ['brand in list', { brands: ['acme', 'other'] }, {}, true],
    ['brand not in list', { brands: ['other'] }, {}, false],
    ['source in list', { sources: ['twitter', 'reddit'] }, {}, true],
    ['source not in list', { sources: ['rss'] }, {}, false],
    ['sentiment label', { sentimentLabels: ['negative'] }, {}, true],
    ['sentiment label mismatch', { sentimentLabels: ['positive'] }, {}, false],
    ['sentiment below holds', { sentimentBelow: -0.5 }, {}, true],
    ['sentiment below fails', { sentimentBelow: -0.8 }, {}, false],
    ['sentiment above', { sentimentAbove: 0.5 }, { sentiment: { label: 'positive', score: 0.9, reasons: [] } }, true],
    ['urgency at least high (high)', { urgencyAtLeast: 'high' }, {}, true],
    ['urgency at least critical (high)', { urgencyAtLeast: 'critical' }, {}, false],
    ['urgency at least low (low)', { urgencyAtLeast: 'low' }, { urgency: { level: 'low', score: 0, reasons: [] } }, true],
    ['reach at least', { reachAtLeast: 1000 }, {}, true],
    ['reach below', { reachAtLeast: 5000 }, {}, false],
    ['unknown reach counts as 0', { reachAtLeast: 1 }, { reach: null }, false],
    ['author, case and @ insensitive', { authors: ['dana'] }, { author: '@Dana' }, true],
    ['author mismatch', { authors: ['sam'] }, {}, false],
    ['language', { languages: ['en'] }, {}, true],
    ['language unknown', { languages: ['unknown'] }, { language: null }, true],
    ['language mismatch', { languages: ['de'] }, {}, false],
    ['text query matches', { text: compileQuery('refund OR outage') }, {}, true],
    ['text query does not match', { text: compileQuery('"data loss"') }, {}, false],
    ['text query is whole-word', { text: compileQuery('down') }, { text: 'Acme Cloud download page' }, false],
    ['all fields must hold (AND)', { brands: ['acme'], sentimentLabels: ['negative'], sources: ['rss'] }, {}, false],
    ['flag raised', { flagsAtLeast: { offensive: 0.5 } }, { flags: { offensive: 0.91, hate: 0.04, irony: 0.12 } }, true],
    ['flag at exactly its threshold', { flagsAtLeast: { offensive: 0.5 } }, { flags: { offensive: 0.5, hate: 0, irony: 0 } }, true],
    ['flag below its threshold', { flagsAtLeast: { offensive: 0.95 } }, { flags: { offensive: 0.91, hate: 0.04, irony: 0.12 } }, false],
    ['any named flag', { flagsAtLeast: { offensive: 0.5, hate: 0.5 } }, { flags: { offensive: 0.1, hate: 0.7, irony: 0 } }, true],
    ['other flags do not count', { flagsAtLeast: { hate: 0.5 } }, { flags: { offensive: 0.99, hate: 0.1, irony: 0.9 } }, false],
    ['flags unknown (stored before flags) never match', { flagsAtLeast: { offensive: 0 } }, { flags: null }, false],
  ])('%s', (_name, match, over, expected) => {
    expect(matchesRule({ ...none, ...match }, mention(over))).toBe(expected);
  });
});

function rule(over: Partial<Omit<MentionRule, 'type'>> = {}): MentionRule {
  return mentionRule({ match: none, ...over });
}

describe('groups', () => {
  it.each<[string, Partial<Omit<MentionRule, 'type'>>, Partial<Mention>, string]>([
    ['no group_by, no throttle: each mention alone', {}, { id: 7 }, 'mention:7'],
    ['no group_by, throttle: the rule as a whole', { throttleMs: 60_000 }, { id: 7 }, '*'],
    ['group_by brand', { groupBy: ['brand'] }, {}, 'brand=acme'],
    ['group_by brand, source', { groupBy: ['brand', 'source'] }, {}, 'brand=acme,source=twitter'],
    ['group_by author is case-insensitive', { groupBy: ['author'] }, { author: 'DaNa' }, 'author=dana'],
    ['group_by story', { groupBy: ['story'] }, { storyKey: 'example.com/post' }, 'story=example.com/post'],
    ['group_by story without a story: alone', { groupBy: ['story'] }, { id: 9 }, 'story=mention:9'],
  ])('%s', (_name, r, m, key) => {
    expect(groupKeyFor(rule(r), mention(m))).toBe(key);
  });

  const t = 1_000_000;
  it.each<[string, Partial<Omit<MentionRule, 'type'>>, number, number | null, number, boolean]>([
    ['no wait, no throttle: due at once', {}, t, null, t, true],
    ['group_wait not over', { groupWaitMs: 30_000 }, t, null, t + 29_999, false],
    ['group_wait over', { groupWaitMs: 30_000 }, t, null, t + 30_000, true],
    ['throttle holds', { throttleMs: 600_000 }, t, t - 1_000, t, false],
    ['throttle over', { throttleMs: 600_000 }, t, t - 600_000, t, true],
    ['first alert of a throttled group is immediate', { throttleMs: 600_000 }, t, null, t, true],
  ])('%s', (_name, r, first, last, now, due) => {
    expect(groupDue(rule(r), first, last, now)).toBe(due);
    expect(groupDueAt(rule(r), first, last) <= now).toBe(due);
  });

  it('flush ignores group_wait but never throttle', () => {
    expect(groupDue(rule({ groupWaitMs: 60_000 }), t, null, t, true)).toBe(true);
    expect(groupDue(rule({ throttleMs: 60_000 }), t, t, t + 1, true)).toBe(false);
  });
});

describe('summarize', () => {
  it.each<[string, Mention[], string]>([
    ['one negative, high urgency', [mention()], 'High-urgency negative mention of Acme Cloud on Twitter/X'],
    ['one neutral, low urgency', [mention({ sentiment: { label: 'neutral', score: 0, reasons: [] }, urgency: { level: 'low', score: 0.1, reasons: [] }, source: 'rss' })], 'Neutral mention of Acme Cloud on a feed'],
    ['several', [mention(), mention({ id: 2, source: 'reddit', sentiment: { label: 'positive', score: 0.5, reasons: [] } })], '2 mentions of Acme Cloud (1 negative) on Twitter/X, Reddit'],
  ])('%s', (_name, mentions, text) => {
    expect(summarize('Acme Cloud', mentions)).toBe(text);
  });
});
