/**
 * `earshot rules test` must show what the daemon would send. Random timelines of mentions and
 * random rules (mention rules with group_by, group_wait, fixed and growing throttles; volume and
 * spike rules with groups; quiet hours; budgets) run two ways:
 *   live:   the mentions are stored in a real SQLite store as they arrive, and the daemon's rules
 *           pass (pipeline/cycle.ts runRules) runs at each arrival and at each time a waiting
 *           group becomes due (nextReleaseAt), as a daemon that never misses a beat;
 *   replay: replayRules over the same stored mentions, as `earshot rules test --since` does.
 * Both must create the same alerts: rule, time, group, summary, mentions (or samples) and
 * whether quiet hours or a budget held them back.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config/load.js';
import { formatProblem, hasErrors } from '../src/config/problems.js';
import { silentLogger } from '../src/core/log.js';
import type { Mention } from '../src/core/types.js';
import { runRules } from '../src/pipeline/cycle.js';
import { Deliverer } from '../src/pipeline/deliver.js';
import { nextReleaseAt } from '../src/rules/engine.js';
import { heldBackOf, replayRules } from '../src/rules/replay.js';
import { openStore } from '../src/store/index.js';
import type { SourceState, Store } from '../src/store/types.js';
import { makeDeployment } from './helpers/cli.js';

const T0 = Date.parse('2026-01-05T06:00:00.000Z');
const MINUTE = 60_000;
const BRANDS = ['acme', 'globex'] as const;
const SOURCES = ['rss', 'twitter'] as const;

interface Arrival {
  minute: number;
  brand: (typeof BRANDS)[number];
  source: (typeof SOURCES)[number];
  author: string | null;
  negative: boolean;
  urgency: number;
  reach: number;
  story: string | null;
}

const arrival: fc.Arbitrary<Arrival> = fc.record({
  // Many share a minute: simultaneous arrivals are one poll.
  minute: fc.integer({ min: 0, max: 240 }),
  brand: fc.constantFrom(...BRANDS),
  source: fc.constantFrom(...SOURCES),
  author: fc.constantFrom('ann', 'Ann', 'bob', 'cy', null),
  negative: fc.boolean(),
  urgency: fc.double({ min: 0, max: 1, noNaN: true }),
  reach: fc.integer({ min: 0, max: 5000 }),
  story: fc.constantFrom('https://news.example.com/a', 'https://news.example.com/b', null),
});

const duration = (minutes: number) => `${minutes}m`;
const match = fc.constantFrom('{}', '{ sentiment: negative }', '{ brand: acme }', '{ source: twitter }', '{ urgency: { atLeast: medium } }', '{ first_from_author: true }');
const groupBy = fc.constantFrom('', 'group_by: [brand]', 'group_by: [source, author]', 'group_by: [story]');
const throttle = fc.constantFrom('', 'throttle: 10m', 'throttle: 30m', 'throttle: { initial: 5m, factor: 2, max: 40m }');
const hours = fc.constantFrom('', '', 'quiet_hours: { from: "07:00", to: "08:00", timezone: UTC }', 'quiet_hours: { from: "06:30", to: "07:30", timezone: UTC, then: digest }');

const mentionRule = fc
  .record({ match, groupBy, throttle, hours, wait: fc.constantFrom(0, 0, 5, 20) })
  .map((r) => [`type: mention`, `match: ${r.match}`, r.groupBy, r.throttle, r.hours, r.wait ? `group_wait: ${duration(r.wait)}` : ''].filter(Boolean));
const volumeRule = fc
  .record({ match, groupBy, throttle, window: fc.constantFrom(20, 45, 60), count: fc.integer({ min: 1, max: 4 }) })
  .map((r) => [`type: volume`, `match: ${r.match}`, r.groupBy, r.throttle, `window: ${duration(r.window)}`, `count: ${r.count}`].filter(Boolean));
const spikeRule = fc
  .record({
    match,
    groupBy,
    throttle,
    window: fc.constantFrom(15, 30),
    baseline: fc.integer({ min: 2, max: 4 }),
    factor: fc.constantFrom(1.5, 2, 3),
    minCount: fc.integer({ min: 1, max: 3 }),
    direction: fc.constantFrom('up', 'down', 'both'),
  })
  .map((r) =>
    [`type: spike`, `match: ${r.match}`, r.groupBy, r.throttle, `window: ${duration(r.window)}`, `baseline: ${r.baseline}`, `factor: ${r.factor}`, `min_count: ${r.minCount}`, `direction: ${r.direction}`].filter(Boolean),
  );
const rules = fc.array(fc.oneof(mentionRule, volumeRule, spikeRule), { minLength: 1, maxLength: 3 });
const budget = fc.constantFrom('', 'budgets:\n  - { slack: "#alerts", max: 2, per: 30m }\n');

function deployment(ruleLines: string[][], budgets: string): { dir: string; config: Config } {
  const rulesYaml =
    'rules:\n' +
    ruleLines.map((lines, i) => [`  - name: r${i}`, ...lines.map((l) => `    ${l}`), '    notify: [{ slack: "#alerts" }]'].join('\n')).join('\n') +
    '\n' +
    budgets;
  const files: Record<string, string> = { 'rules/alerts.yaml': rulesYaml };
  for (const brand of BRANDS) {
    files[`sources/${brand}.yaml`] = `brand: ${brand}\nname: ${brand}\nquery: ${brand}\nsources:\n${SOURCES.map((s) => `  - type: ${s}\n    ${s === 'rss' ? 'url: https://example.com/feed.xml' : 'query: x'}\n`).join('')}`;
  }
  const dir = makeDeployment(files);
  const { config, problems } = loadConfig(dir, { SLACK_BOT_TOKEN: 'xoxb-test', TWITTER_BEARER_TOKEN: 't' });
  if (hasErrors(problems)) throw new Error(problems.map(formatProblem).join('\n'));
  return { dir, config };
}

interface Comparable {
  rule: string;
  at: string;
  group: string;
  summary: string;
  mentions: number[];
  heldBack: string | null;
}

/** The daemon, never late: a rules pass at each arrival, and at each time a waiting group becomes due. */
async function live(store: Store, config: Config, timeline: Arrival[]): Promise<Comparable[]> {
  let now = new Date(T0);
  const log = silentLogger();
  const deps = { store, config, log, now: () => now, deliverer: new Deliverer(store, config, log, () => now) };
  const ids: number[] = [];
  const pass = async (at: number) => {
    now = new Date(at);
    ids.push(...(await runRules(deps)));
  };
  const releaseUntil = async (until: number) => {
    for (;;) {
      const due = await nextReleaseAt(deps);
      if (due === null || due.getTime() > until) return;
      await pass(Math.max(due.getTime(), now.getTime()));
    }
  };
  for (const s of config.sources) {
    // Watched since T0: spike baselines count from there, live and in the replay.
    await store.sources.ensure(s.key, s.brand, s.type, s.settingsHash, new Date(T0).toISOString());
    await store.sources.recordSuccess(s.key, { at: new Date(T0).toISOString(), cursor: {}, nextPollAt: new Date(T0).toISOString() });
  }
  const byMinute = new Map<number, Arrival[]>();
  for (const a of timeline) byMinute.set(a.minute, [...(byMinute.get(a.minute) ?? []), a]);
  let n = 0;
  for (const minute of [...byMinute.keys()].sort((a, b) => a - b)) {
    const at = T0 + minute * MINUTE;
    await releaseUntil(at);
    for (const a of byMinute.get(minute)!) await store.mentions.insert(newMention(a, at, n++));
    await pass(at);
  }
  await releaseUntil(Number.POSITIVE_INFINITY);
  const out: Comparable[] = [];
  for (const id of ids) {
    const alert = (await store.outbox.getAlert(id))!;
    const deliveries = await store.outbox.deliveriesOf(id);
    out.push({
      rule: alert.rule,
      at: alert.createdAt,
      group: alert.groupKey,
      summary: alert.summary,
      mentions: alert.mentionIds.length ? alert.mentionIds : alert.sampleMentionIds,
      heldBack: heldBackOf(deliveries.map((d) => ({ status: d.status, holdReason: d.holdReason, notBefore: d.nextAttemptAt, target: d.target }))),
    });
  }
  return inOrder(out);
}

/** By time, then rule and group: simultaneous alerts in a fixed order. */
function inOrder(alerts: Comparable[]): Comparable[] {
  const key = (a: Comparable) => `${a.at}\u0000${a.rule}\u0000${a.group}`;
  return alerts.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function newMention(a: Arrival, at: number, n: number) {
  const iso = new Date(at).toISOString();
  return {
    brand: a.brand,
    source: a.source,
    sourceKey: `${a.brand}/${a.source}`,
    sourceId: `m${n}`,
    url: `https://example.com/${a.brand}/${n}`,
    author: a.author,
    reach: a.reach,
    title: '',
    text: `${a.brand} mention ${n}`,
    kind: null,
    linkUrl: a.story,
    language: 'en',
    publishedAt: iso,
    fetchedAt: iso,
    matchedTerms: [a.brand],
    sentiment: { label: a.negative ? ('negative' as const) : ('neutral' as const), score: a.negative ? -0.6 : 0, reasons: [] },
    urgency: { level: a.urgency >= 0.65 ? ('high' as const) : a.urgency >= 0.35 ? ('medium' as const) : ('low' as const), score: a.urgency, reasons: [] },
    flags: null,
    duplicateOf: null,
    storyKey: a.story,
    metrics: {},
    canonicalUrl: `https://example.com/${a.brand}/${n}`,
    fingerprint: `fp${n}`,
    alertState: 'new' as const,
  };
}

async function replayed(config: Config, mentions: Mention[], sourceStates: SourceState[]): Promise<Comparable[]> {
  const alerts = (await replayRules(config, mentions, config.rules, { sourceStates })).map((a) => ({
    rule: a.rule,
    at: a.at,
    group: a.groupKey,
    summary: a.summary,
    mentions: a.mentions.map((m) => m.id),
    heldBack: a.heldBack,
  }));
  return inOrder(alerts);
}

describe('live evaluation and replay', () => {
  it('create the same alerts for random timelines and rules', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arrival, { minLength: 1, maxLength: 30 }), rules, budget, async (timeline, ruleLines, budgets) => {
        const { dir, config } = deployment(ruleLines, budgets);
        const store = await openStore({ path: join(mkdtempSync(join(tmpdir(), 'earshot-equiv-')), 'earshot.db') });
        try {
          const fromLive = await live(store, config, timeline);
          const stored = await store.mentions.list({ order: 'asc' });
          expect(await replayed(config, stored, await store.sources.list())).toEqual(fromLive);
        } finally {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
