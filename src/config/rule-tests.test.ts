import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Config } from './load.js';
import { formatProblem } from './problems.js';
import { RuleTestFileError, runRuleTests, type RuleTestResult } from './rule-tests.js';

const RULES = `rules:
  - name: each
    match: { sentiment: negative }
    notify: [{ slack: "#a" }]
  - name: grouped
    match: { brand: acme }
    group_by: [brand]
    group_wait: 1m
    throttle: 10m
    notify: [{ slack: "#a" }]
  - name: stories
    match: { source: reddit }
    group_by: [story]
    group_wait: 5m
    notify: [{ slack: "#a" }]
  - name: very-negative
    match: { sentiment: { below: -0.5 } }
    notify: [{ slack: "#a" }]
  - name: urgent
    match: { urgency: high }
    notify: [{ slack: "#a" }]
  - name: off
    enabled: false
    match: { brand: acme }
    notify: [{ slack: "#a" }]
  - name: busy
    type: volume
    match: { source: hackernews }
    window: 1h
    count: 3
    notify: [{ slack: "#a" }]
  - name: surge
    type: spike
    match: { source: bluesky }
    window: 1h
    baseline: 2
    min_count: 3
    factor: 3
    notify: [{ slack: "#a" }]
  - name: night
    match: { source: mastodon }
    quiet_hours: { from: "22:00", to: "07:00", timezone: UTC, then: digest }
    notify: [{ slack: "#a" }]
  - name: budgeted
    match: { source: rss }
    notify: [{ slack: "#budget" }]
  - name: feed-silent
    type: silence
    for: 6h
    match: { brand: acme }
    notify: [{ slack: "#a" }]
budgets:
  - { slack: "#budget", max: 2, per: 1h }
`;

function setup(brands = ['acme']): Config {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-ruletests-'));
  mkdirSync(join(dir, 'sources'));
  mkdirSync(join(dir, 'rules'));
  for (const b of brands) {
    writeFileSync(join(dir, 'sources', `${b}.yaml`), `brand: ${b}\nname: ${b}\nquery: ${b}\nsources:\n  - type: twitter\n    query: ${b}\n`);
  }
  writeFileSync(join(dir, 'rules', 'alerts.yaml'), RULES);
  const { config, problems } = loadConfig(dir, {});
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return config;
}

function run(config: Config, yaml: string): Promise<RuleTestResult[]> {
  writeFileSync(join(config.dir, 'rules', 'x.test.yaml'), yaml);
  return runRuleTests(config, 'rules/x.test.yaml');
}

async function problemsOf(config: Config, yaml: string): Promise<string[]> {
  try {
    await run(config, yaml);
  } catch (err) {
    if (err instanceof RuleTestFileError) return err.problems.map(formatProblem);
    throw err;
  }
  throw new Error('expected a RuleTestFileError');
}

/** One test with the given body; a negative mention by default. */
const one = (body: string) => `tests:\n  - name: t\n${body.replace(/^/gm, '    ')}\n`;

describe('rule unit tests: behaviours the timeline exercises', () => {
  const config = setup();

  it.each([
    [
      'a burst inside group_wait is one alert; the throttle holds the next group',
      `rules: [grouped]
mentions:
  - { at: 0s, text: a, sentiment: neutral, urgency: low, id: m1 }
  - { at: 20s, text: b, sentiment: neutral, urgency: low, id: m2 }
  - { at: 3m, text: c, sentiment: neutral, urgency: low, id: m3 }
expect:
  - { rule: grouped, at: 1m, with: [m1, m2] }
  - { rule: grouped, at: 11m, with: [m3] }`,
    ],
    [
      'between accepts any time in the window, inclusive',
      `rules: [grouped]
mentions:
  - { at: 0s, text: a, sentiment: neutral, urgency: low }
expect:
  - { rule: grouped, between: [30s, 1m] }`,
    ],
    [
      'repeat/every spread mentions; {i} numbers them; #n names them in time order',
      `rules: [each]
mentions:
  - { at: 0s, text: "complaint {i}", sentiment: negative, urgency: low, repeat: 3, every: 2m, id: c }
  - { at: 1m, text: other, sentiment: negative, urgency: low }
expect:
  - { rule: each, at: 0s, with: [c.1] }
  - { rule: each, at: 1m, with: ["#2"] }
  - { rule: each, at: 2m, with: ["#3"] }
  - { rule: each, at: 4m, with: [c.3] }`,
    ],
    [
      'link ties mentions into one story across authors',
      `rules: [stories]
mentions:
  - { at: 0s, text: a, source: reddit, link: "https://news.example.com/acme-outage?utm_source=x", sentiment: neutral, urgency: low }
  - { at: 1m, text: b, source: reddit, link: "https://news.example.com/acme-outage", sentiment: neutral, urgency: low }
  - { at: 2m, text: c, source: reddit, link: "https://news.example.com/other", sentiment: neutral, urgency: low }
expect:
  - { rule: stories, at: 5m, mentions: 2 }
  - { rule: stories, at: 7m, mentions: 1 }`,
    ],
    [
      'a label alone scores -0.6; a score can be given',
      `rules: [very-negative]
mentions:
  - { at: 0s, text: a, sentiment: negative, urgency: low }
  - { at: 1m, text: b, sentiment: { label: negative, score: -0.3 }, urgency: low }
expect:
  - { rule: very-negative, at: 0s }`,
    ],
    [
      'urgency as a level or a score',
      `rules: [urgent]
mentions:
  - { at: 0s, text: a, sentiment: neutral, urgency: high }
  - { at: 1m, text: b, sentiment: neutral, urgency: 0.7 }
  - { at: 2m, text: c, sentiment: neutral, urgency: 0.5 }
expect:
  - { rule: urgent, at: 0s }
  - { rule: urgent, at: 1m }`,
    ],
    [
      'until leaves out what is still waiting at the end',
      `rules: [grouped]
until: 5m
mentions:
  - { at: 0s, text: a, sentiment: neutral, urgency: low }
  - { at: 2m, text: b, sentiment: neutral, urgency: low }
expect:
  - { rule: grouped, at: 1m, mentions: 1 }`,
    ],
    [
      'a disabled rule named in rules: is tested',
      `rules: [off]
mentions:
  - { at: 0s, text: a, sentiment: neutral, urgency: low }
expect:
  - { rule: off, at: 0s }`,
    ],
    [
      'a volume rule fires once when the count is reached in the window, with a sample',
      `rules: [busy]
mentions:
  - { at: 0s, text: "hn {i}", source: hackernews, sentiment: neutral, urgency: low, repeat: 4, every: 10m }
  - { at: 2h, text: "much later", source: hackernews, sentiment: neutral, urgency: low }
expect:
  - { rule: busy, at: 20m, mentions: 3 }`,
    ],
    [
      'a spike needs its baseline of history before it can fire',
      `rules: [surge]
mentions:
  - { at: 0s, text: "early burst {i}", source: bluesky, sentiment: neutral, urgency: low, repeat: 5, every: 1m }
  - { at: 1h30m, text: "quiet {i}", source: bluesky, sentiment: neutral, urgency: low, repeat: 1 }
  - { at: 2h30m, text: "quiet again", source: bluesky, sentiment: neutral, urgency: low }
  - { at: 3h10m, text: "surge {i}", source: bluesky, sentiment: neutral, urgency: low, repeat: 6, every: 1m }
expect:
  - { rule: surge, between: [3h10m, 3h20m] }`,
    ],
    [
      'quiet hours hold an alert back; held says so',
      `rules: [night]
start: 2026-01-05T21:00:00Z
mentions:
  - { at: 0s, text: evening, source: mastodon, sentiment: neutral, urgency: low }
  - { at: 1h30m, text: night, source: mastodon, sentiment: neutral, urgency: low }
expect:
  - { rule: night, at: 0s, held: false }
  - { rule: night, at: 1h30m, held: true }`,
    ],
    [
      'a budget holds back what is over it',
      `rules: [budgeted]
mentions:
  - { at: 0s, text: "a {i}", source: rss, sentiment: neutral, urgency: low, repeat: 3, every: 1m }
expect:
  - { rule: budgeted, at: 0s, held: false }
  - { rule: budgeted, at: 1m, held: false }
  - { rule: budgeted, at: 2m, held: true }`,
    ],
    [
      'the analyzer scores what the test leaves out',
      `rules: [each]
mentions:
  - { at: 0s, text: "acme deleted our production data and support ignores us, worst service ever, I want a refund" }
  - { at: 1m, text: "acme support fixed it in minutes, brilliant team, thank you", urgency: low }
expect:
  - { rule: each, at: 0s }`,
    ],
    [
      'an override beats the analyzer',
      `rules: [each]
mentions:
  - { at: 0s, text: "acme deleted our production data and support ignores us, worst service ever", sentiment: positive }
expect: []`,
    ],
  ])('%s', async (_name, body) => {
    const [result] = await run(config, one(body));
    expect(result!.failures).toEqual([]);
    expect(result!.passed).toBe(true);
  });

  it('runs every enabled rule when a test names none; the disabled one stays off', async () => {
    const [result] = await run(config, one(`mentions:\n  - { at: 0s, text: a, sentiment: negative, urgency: low }\nexpect: []`));
    expect(result!.passed).toBe(false);
    expect(result!.alerts.map((a) => `${a.rule}@${a.at}`).sort()).toEqual(['each@0s', 'grouped@1m', 'very-negative@0s']);
  });

  it('the start time sets the clock: alerts carry offsets from it, file and test level', async () => {
    const yaml = `start: 2026-11-23T22:00:00Z\ntests:\n  - name: file start\n    rules: [each]\n    mentions: [{ at: 5m, text: a, sentiment: negative, urgency: low }]\n    expect: [{ rule: each, at: 5m }]\n  - name: own start\n    start: 2026-11-24T08:00:00Z\n    rules: [each]\n    mentions: [{ at: 0s, text: a, sentiment: negative, urgency: low }]\n    expect: [{ rule: each, at: 0s }]\n`;
    const results = await run(config, yaml);
    expect(results.map((r) => [r.name, r.passed, r.line])).toEqual([
      ['file start', true, 3],
      ['own start', true, 7],
    ]);
  });
});

describe('rule unit tests: failures say what differed', () => {
  const config = setup();
  const timeline = `rules: [each]
mentions:
  - { at: 0s, text: a, sentiment: negative, urgency: low, id: m1 }
  - { at: 2m, text: b, sentiment: negative, urgency: low, id: m2 }`;

  it.each([
    ['a wrong time', 'expect:\n  - { rule: each, at: 0s }\n  - { rule: each, at: 3m }', ['missing alert: expected each at 3m (rules/x.test.yaml:9:9)', 'unexpected alert: each at 2m with 1 mention [m2]']],
    ['a time outside between', 'expect:\n  - { rule: each, between: [1s, 1m] }\n  - { rule: each, at: 2m }', ['missing alert: expected each between 1s and 1m (rules/x.test.yaml:8:9)', 'unexpected alert: each at 0s with 1 mention [m1]']],
    ['a wrong count', 'expect:\n  - { rule: each, at: 0s, mentions: 2 }\n  - { rule: each, at: 2m }', ['missing alert: expected each at 0s with 2 mentions (rules/x.test.yaml:8:9)', 'unexpected alert: each at 0s with 1 mention [m1]']],
    ['wrong mentions', 'expect:\n  - { rule: each, at: 0s, with: [m2] }\n  - { rule: each, at: 2m, with: [m1] }', [
      'missing alert: expected each at 0s with [m2] (rules/x.test.yaml:8:9)',
      'missing alert: expected each at 2m with [m1] (rules/x.test.yaml:9:9)',
      'unexpected alert: each at 0s with 1 mention [m1]',
      'unexpected alert: each at 2m with 1 mention [m2]',
    ]],
    ['an alert not listed', 'expect:\n  - { rule: each, at: 0s }', ['unexpected alert: each at 2m with 1 mention [m2]']],
    ['expected silence', 'expect: []', ['unexpected alert: each at 0s with 1 mention [m1]', 'unexpected alert: each at 2m with 1 mention [m2]']],
  ])('%s', async (_name, expectYaml, failures) => {
    const [result] = await run(config, one(`${timeline}\n${expectYaml}`));
    expect(result!.passed).toBe(false);
    expect(result!.failures).toEqual(failures);
  });

  it('held: a wrong expectation is reported with the reason', async () => {
    const [result] = await run(config, one(`rules: [night]\nstart: 2026-01-05T23:00:00Z\nmentions:\n  - { at: 0s, text: a, source: mastodon, sentiment: neutral, urgency: low }\nexpect:\n  - { rule: night, at: 0s, held: false }`));
    expect(result!.failures).toEqual([
      'missing alert: expected night at 0s, sent at once (rules/x.test.yaml:8:9)',
      'unexpected alert: night at 0s with 1 mention [#1] (held back: quiet/active hours: sent to the digest)',
    ]);
  });

  it('a rule that sent nothing is named as such', async () => {
    const [result] = await run(config, one(`rules: [urgent]\nmentions:\n  - { at: 0s, text: a, sentiment: negative, urgency: low }\nexpect:\n  - { rule: urgent, at: 0s }`));
    expect(result!.failures).toEqual(['missing alert: expected urgent at 0s (rules/x.test.yaml:7:9); urgent sent no alert at all']);
  });

  it('the order of expectations does not matter', async () => {
    const [result] = await run(config, one(`${timeline}\nexpect:\n  - { rule: each, at: 2m }\n  - { rule: each, at: 0s }`));
    expect(result!.passed).toBe(true);
  });
});

describe('rule unit tests: a broken test file is reported with file:line:col', () => {
  const config = setup();
  const two = setup(['acme', 'globex']);

  it.each([
    ['invalid YAML', config, 'tests:\n  - name: t\n    mentions: [\n', /^rules\/x\.test\.yaml:\d+:\d+: invalid YAML/],
    ['a misspelt key', config, one('mentoins: []\nexpect: []'), /^rules\/x\.test\.yaml:3:5: tests\[0\]\.mentoins: unknown key "mentoins"$/],
    ['a duration in words', config, one('mentions:\n  - { at: 5 minutes, text: a }\nexpect: []'), /^rules\/x\.test\.yaml:4:15: tests\[0\]\.mentions\[0\]\.at: "5 minutes" is not a duration/],
    ['an unknown rule in rules:', config, one('rules: [each, nope]\nmentions: []\nexpect: []'), /^rules\/x\.test\.yaml:3:19: tests\[0\]\.rules\[1\]: unknown rule "nope": rules are each, grouped, stories, very-negative, urgent, off, busy, surge, night, budgeted, feed-silent$/],
    ['an unknown rule in expect', config, one('mentions: []\nexpect:\n  - { rule: nope }'), /^rules\/x\.test\.yaml:5:17: tests\[0\]\.expect\[0\]\.rule: unknown rule "nope"/],
    ['an expected rule the test does not run', config, one('rules: [each]\nmentions: []\nexpect:\n  - { rule: urgent }'), /tests\[0\]\.expect\[0\]\.rule: rule "urgent" is not in this test's rules: \[each\]$/],
    ['an unknown brand', config, one('mentions:\n  - { at: 0s, text: a, brand: initech }\nexpect: []'), /tests\[0\]\.mentions\[0\]\.brand: unknown brand "initech": brands are acme$/],
    ['no brand with two brands configured', two, one('mentions:\n  - { at: 0s, text: a }\nexpect: []'), /tests\[0\]\.mentions\[0\]: give the mention a brand: the config has 2 brands \(acme, globex\)$/],
    ['an unknown mention id in with', config, one('mentions:\n  - { at: 0s, text: a, id: m1 }\nexpect:\n  - { rule: each, with: [m9] }'), /tests\[0\]\.expect\[0\]\.with\[0\]: no mention with id "m9" in this test$/],
    ['at and between together', config, one('mentions: []\nexpect:\n  - { rule: each, at: 0s, between: [0s, 1m] }'), /tests\[0\]\.expect\[0\]\.between: give `at` or `between`, not both$/],
    ['a sentiment that is not a label', config, one('mentions:\n  - { at: 0s, text: a, sentiment: angry }\nexpect: []'), /tests\[0\]\.mentions\[0\]\.sentiment: sentiment is negative, neutral, positive or unknown/],
    ['no tests', config, 'tests: []\n', /tests: list at least one test$/],
    ['a silence rule', config, one('rules: [feed-silent]\nmentions: []\nexpect: []'), /tests\[0\]\.rules\[0\]: rule "feed-silent" is a silence rule: it watches polls/],
    ['held that is not a boolean', config, one('mentions: []\nexpect:\n  - { rule: each, held: maybe }'), /tests\[0\]\.expect\[0\]\.held: /],
  ])('%s', async (_name, cfg, yaml, pattern) => {
    expect(await problemsOf(cfg, yaml)).toContainEqual(expect.stringMatching(pattern));
  });

  it('duplicate test names are refused', async () => {
    const yaml = `tests:\n  - { name: t, mentions: [], expect: [] }\n  - { name: t, mentions: [], expect: [] }\n`;
    expect(await problemsOf(config, yaml)).toEqual(['rules/x.test.yaml:3:13: tests[1].name: test name "t" is already used by tests[0]']);
  });
});
