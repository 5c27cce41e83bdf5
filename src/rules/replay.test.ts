import { describe, expect, it } from 'vitest';
import type { Config, RuleConfig } from '../config/load.js';
import type { Mention } from '../core/types.js';
import { replayRules } from './replay.js';
import { anyMatch, mentionRule, volumeRule } from '../../test/helpers/rule-support.js';

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
let id = 0;
function m(minute: number, over: Partial<Mention> = {}): Mention {
  id++;
  const at = new Date(T0 + minute * 60_000).toISOString();
  return {
    id,
    brand: 'acme',
    source: 'twitter',
    sourceKey: 'acme/twitter',
    sourceId: String(id),
    url: null,
    author: `user${id}`,
    reach: 0,
    title: '',
    text: 'acme cloud',
    kind: null,
    linkUrl: null,
    language: 'en',
    publishedAt: at,
    fetchedAt: at,
    matchedTerms: [],
    sentiment: { label: 'negative', score: -0.6, reasons: [] },
    urgency: { level: 'medium', score: 0.4, reasons: [] },
    duplicateOf: null,
    storyKey: null,
    metrics: {},
    ...over,
  };
}

function config(rules: RuleConfig[], budgets: Config['budgets'] = []): Config {
  return { dir: '.', brands: new Map(), sources: [], rules, digests: [], budgets, env: {}, files: [] };
}

const slack = [{ type: 'slack' as const, target: '#a' }];

describe('replayRules', () => {
  it('replays a volume rule: fires when the window fills, again only after it cleared', async () => {
    const rule = volumeRule({ name: 'busy', windowMs: 3_600_000, count: 3, notify: slack });
    const input = [m(0), m(10), m(20), m(30), m(200), m(210), m(220)];
    const alerts = await replayRules(config([rule]), input);
    expect(alerts.map((a) => [a.at.slice(11, 16), a.summary])).toEqual([
      ['12:20', 'Volume: 3 mentions of acme in 1h'],
      ['15:40', 'Volume: 3 mentions of acme in 1h'],
    ]);
  });

  it('marks alerts quiet hours would have held, and those over a budget', async () => {
    const quiet = mentionRule({
      name: 'q',
      notify: slack,
      quietHours: { from: '12:00', to: '13:00', timezone: 'UTC', then: 'deliver' },
    });
    const [first, second] = await replayRules(config([quiet]), [m(5), m(70)]);
    expect(first!.heldBack).toBe('quiet/active hours: held until 2026-11-23T13:00:00.000Z');
    expect(second!.heldBack).toBeNull();

    const budgeted = mentionRule({ name: 'b', notify: slack });
    const alerts = await replayRules(
      config([budgeted], [{ destination: slack[0]!, max: 2, perMs: 3_600_000, breakThrough: null, file: 'r', line: 1 }]),
      [m(0), m(1), m(2), m(90)],
    );
    expect(alerts.map((a) => a.heldBack)).toEqual([null, null, 'over budget for #a', null]);
  });

  it('first_from_author within the replayed period', async () => {
    const rule = mentionRule({ name: 'new', notify: slack, match: { ...anyMatch(), firstFromAuthor: true } });
    const alerts = await replayRules(config([rule]), [m(0, { author: 'Dana' }), m(1, { author: 'dana' }), m(2, { author: 'sam' })]);
    expect(alerts).toHaveLength(2);
  });
});
