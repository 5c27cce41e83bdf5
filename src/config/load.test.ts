import { describe, expect, it } from 'vitest';
import { makeDeployment } from '../../test/helpers/cli.js';
import { loadConfig } from './load.js';
import { formatProblem } from './problems.js';

const BRAND = `brand: acme
name: Acme Cloud
query: '"acme cloud" OR acmecloud'
sources:
  - type: rss
    url: https://example.com/feed.xml
`;

const RULES = `rules:
  - name: negative
    match: { brand: acme, sentiment: negative }
    notify: [{ slack: "#alerts" }]
`;

function problemsFor(files: Record<string, string>, env: Record<string, string> = { SLACK_BOT_TOKEN: 'x', SMTP_URL: 'smtp://h', EMAIL_FROM: 'a@b.c' }): string[] {
  const dir = makeDeployment(files);
  return loadConfig(dir, env).problems.map(formatProblem);
}

describe('loadConfig', () => {
  it('loads a valid deployment with no problems', () => {
    const dir = makeDeployment({ 'sources/acme.yaml': BRAND, 'rules/alerts.yaml': RULES });
    const { config, problems } = loadConfig(dir, { SLACK_BOT_TOKEN: 'x' });
    expect(problems).toEqual([]);
    expect([...config.brands.keys()]).toEqual(['acme']);
    expect(config.sources).toMatchObject([{ key: 'acme/rss', type: 'rss', everyMs: 15 * 60_000, alertBackfillMs: 0 }]);
    expect(config.rules).toMatchObject([{ name: 'negative', notify: [{ type: 'slack', target: '#alerts' }] }]);
    expect(config.rules[0]!.match.sentimentLabels).toEqual(['negative']);
  });

  it.each([
    ['offensive', { offensive: 0.5 }],
    ['[offensive, hate]', { offensive: 0.5, hate: 0.5 }],
    ['{ hate: { atLeast: 0.8 }, irony: { atLeast: 0.9 } }', { hate: 0.8, irony: 0.9 }],
  ])('compiles match.flags %s', (flags, expected) => {
    const rules = `rules:\n  - name: moderation\n    match: { flags: ${flags} }\n    notify: [{ slack: "#mods" }]\n`;
    const { config, problems } = loadConfig(makeDeployment({ 'sources/acme.yaml': BRAND, 'rules/alerts.yaml': rules }), { SLACK_BOT_TOKEN: 'x' });
    expect(problems).toEqual([]);
    expect(config.rules[0]!.match.flagsAtLeast).toEqual(expected);
  });

  it.each([
    [
      'unknown key in a rule (typo)',
      { 'rules/alerts.yaml': 'rules:\n  - name: r\n    throtle: 10m\n    notify: [{ slack: "#a" }]\n' },
      'rules/alerts.yaml:3:5: rules[0].throtle: unknown key "throtle"',
    ],
    [
      'bad duration',
      { 'rules/alerts.yaml': 'rules:\n  - name: r\n    throttle: 10 minutes\n    notify: [{ slack: "#a" }]\n' },
      'rules/alerts.yaml:3:15: rules[0].throttle: "10 minutes" is not a duration: write it like 30s, 15m, 2h or 7d',
    ],
    [
      'number where a duration is expected',
      { 'sources/acme.yaml': BRAND.replace('    url:', '    every: 15\n    url:') },
      'sources/acme.yaml:6:12: sources[0].every: expected a duration like 30s, 15m, 2h or 7d (a number with a unit)',
    ],
    [
      'query syntax error points into the query',
      { 'sources/acme.yaml': BRAND.replace(`'"acme cloud" OR acmecloud'`, `'"acme cloud OR acmecloud'`) },
      'sources/acme.yaml:3:9: query: unterminated quote',
    ],
    [
      'rule text query error',
      { 'rules/alerts.yaml': 'rules:\n  - name: r\n    match:\n      text: "(outage OR down"\n    notify: [{ slack: "#a" }]\n' },
      'rules/alerts.yaml:4:14: rules[0].match.text: unclosed (: add a closing )',
    ],
    [
      'unknown brand in a rule',
      { 'rules/alerts.yaml': 'rules:\n  - name: r\n    match: { brand: acne }\n    notify: [{ slack: "#a" }]\n' },
      'rules/alerts.yaml:3:21: rules[0].match.brand: unknown brand "acne": brands are acme',
    ],
    [
      'bad sentiment value',
      { 'rules/alerts.yaml': 'rules:\n  - name: r\n    match: { sentiment: angry }\n    notify: [{ slack: "#a" }]\n' },
      'rules/alerts.yaml:3:25: rules[0].match.sentiment: sentiment is negative, neutral, positive, a list of them, or { below: -0.5 } / { above: 0.5 }',
    ],
    [
      'unknown flag in a rule',
      { 'rules/alerts.yaml': 'rules:\n  - name: r\n    match: { flags: [offensve] }\n    notify: [{ slack: "#a" }]\n' },
      'rules/alerts.yaml:3:21: rules[0].match.flags: flags is a flag (offensive, hate, irony), a list of them, or { offensive: { atLeast: 0.8 } }',
    ],
    [
      'bad slack channel',
      { 'rules/alerts.yaml': 'rules:\n  - name: r\n    notify: [{ slack: "brand alerts" }]\n' },
      'rules/alerts.yaml:3:23: rules[0].notify[0].slack: "brand alerts" is not a Slack channel',
    ],
    [
      'bad cron in a digest',
      { 'rules/alerts.yaml': 'digests:\n  - name: d\n    schedule: "0 25 * * *"\n    to: [a@example.com]\n' },
      'rules/alerts.yaml:3:15: digests[0].schedule: invalid cron expression "0 25 * * *"',
    ],
    [
      'bad timezone',
      { 'rules/alerts.yaml': 'digests:\n  - name: d\n    schedule: "0 8 * * *"\n    timezone: Europe/Berlinn\n    to: [a@example.com]\n' },
      'rules/alerts.yaml:4:15: digests[0].timezone: unknown timezone',
    ],
    [
      'tabs',
      { 'rules/alerts.yaml': 'rules:\n\t- name: r\n' },
      'rules/alerts.yaml:2:1: tabs are not allowed for indentation in YAML; indent with spaces',
    ],
    [
      'duplicate keys',
      { 'rules/alerts.yaml': 'rules:\n  - name: r\n    name: s\n    notify: [{ slack: "#a" }]\n' },
      'rules/alerts.yaml:3:5: duplicate key: each key may appear once in a mapping',
    ],
    [
      'duplicate rule names across files',
      { 'rules/b.yaml': RULES },
      'rules/b.yaml:2:11: rules[0].name: rule name "negative" is already used in rules/alerts.yaml',
    ],
    [
      'duplicate brand ids across files',
      { 'sources/other.yaml': BRAND },
      'sources/other.yaml:1:8: brand: brand "acme" is already defined in sources/acme.yaml',
    ],
    [
      'unknown source type',
      { 'sources/acme.yaml': BRAND.replace('type: rss', 'type: facebook') },
      'sources/acme.yaml:5:11: sources[0].type: type must be one of',
    ],
    [
      'rss url that is not a URL',
      { 'sources/acme.yaml': BRAND.replace('https://example.com/feed.xml', 'not a url') },
      'sources/acme.yaml:6:10: sources[0].url:',
    ],
    [
      'invalid brand id',
      { 'sources/acme.yaml': BRAND.replace('brand: acme', 'brand: Acme Cloud') },
      'sources/acme.yaml:1:8: brand: a brand id uses lower-case letters, digits and - only',
    ],
  ])('reports %s with file:line:col', (_name, files, expected) => {
    const all = { 'sources/acme.yaml': BRAND, 'rules/alerts.yaml': RULES, ...files };
    const problems = problemsFor(all);
    expect(problems.some((p) => p.startsWith(expected)), `${expected}\n--- got:\n${problems.join('\n')}`).toBe(true);
  });

  it('collects every problem instead of stopping at the first', () => {
    const problems = problemsFor({
      'sources/acme.yaml': BRAND.replace('type: rss', 'type: rss\n    bogus: 1'),
      'rules/alerts.yaml': 'rules:\n  - name: r\n    throtle: 1m\n    match: { urgency: extreme }\n    notify: [{ slack: "#a" }]\n',
    });
    expect(problems.length).toBeGreaterThanOrEqual(3);
  });

  it('refuses a YAML alias bomb without blowing up', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
      .concat(Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`))
      .join('\n');
    const problems = problemsFor({ 'sources/acme.yaml': BRAND, 'rules/alerts.yaml': bomb });
    expect(problems.some((p) => p.startsWith('rules/alerts.yaml') && /alias|document/i.test(p))).toBe(true);
  });

  it('warns (not errors) about missing credentials, naming the variables', () => {
    const dir = makeDeployment({ 'sources/acme.yaml': BRAND, 'rules/alerts.yaml': RULES });
    const { problems } = loadConfig(dir, {});
    expect(problems.map(formatProblem)).toEqual([
      'rules/alerts.yaml:2:5: warning: rules.negative.notify: slack is not configured: set SLACK_BOT_TOKEN in .env or the environment; slack alerts are skipped until then',
    ]);
  });

  it('gives repeated source types stable keys, and honours id', () => {
    const dir = makeDeployment({
      'sources/acme.yaml': `${BRAND}  - type: rss\n    url: https://example.com/2.xml\n  - type: rss\n    id: blog\n    url: https://example.com/3.xml\n`,
      'rules/alerts.yaml': RULES,
    });
    const { config } = loadConfig(dir, { SLACK_BOT_TOKEN: 'x' });
    expect(config.sources.map((s) => s.key)).toEqual(['acme/rss', 'acme/rss#2', 'acme/blog']);
  });

  it('changes a rule hash when its definition changes, not otherwise', () => {
    const a = loadConfig(makeDeployment({ 'sources/acme.yaml': BRAND, 'rules/alerts.yaml': RULES }), {}).config.rules[0]!.hash;
    const same = loadConfig(makeDeployment({ 'sources/acme.yaml': BRAND, 'rules/alerts.yaml': `# comment\n${RULES}` }), {}).config.rules[0]!.hash;
    const edited = loadConfig(makeDeployment({ 'sources/acme.yaml': BRAND, 'rules/alerts.yaml': RULES.replace('negative }', 'positive }') }), {}).config.rules[0]!.hash;
    expect(same).toBe(a);
    expect(edited).not.toBe(a);
  });

  it('says a missing or empty value is required or empty, in words', () => {
    const rules = 'rules:\n  - name: r\n    notify: [{ slack: "#a" }]\ndigests:\n';
    expect(problemsFor({ 'sources/acme.yaml': BRAND, 'rules/alerts.yaml': rules })).toEqual([
      'rules/alerts.yaml:4:9: digests: empty: give it a list, or remove the key',
    ]);
  });

  it('reports a missing sources/ folder', () => {
    const problems = problemsFor({ 'rules/alerts.yaml': 'rules: []\n' });
    expect(problems[0]).toMatch(/^sources: no sources\/\*\.yaml found/);
  });
});

describe('earshot check reports everything in one run', () => {
  it('schema errors and the checks behind them together, sorted by file and line, with "did you mean"', () => {
    const rules = `rules:
  - name: negative
    match: { brand: acne }
    throtle: 10m
    notify: [{ slack: "brand-alerts" }]
  - name: negative
    match: { sentiment: angry }
    notify: [{ email: "not-an-address" }]
  - name: third
    notify: [{ slack: "#ok" }]
    group_wait: soon
digests:
  - name: daily
    schedule: "0 8 * * *"
    to: [team@example.com]
    timezon: Europe/Berlin
`;
    const problems = problemsFor({ 'sources/acme.yaml': BRAND.replace('query:', 'querry: x\nquery:'), 'rules/alerts.yaml': rules });
    expect(problems).toEqual([
      expect.stringMatching(/^rules\/alerts\.yaml:3:21: rules\[0\]\.match\.brand: unknown brand "acne": brands are/),
      'rules/alerts.yaml:4:5: rules[0].throtle: unknown key "throtle": did you mean "throttle"?',
      expect.stringMatching(/^rules\/alerts\.yaml:5:23: rules\[0\]\.notify\[0\]\.slack: Slack channel "brand-alerts" needs a leading #/),
      expect.stringMatching(/^rules\/alerts\.yaml:6:11: rules\[1\]\.name: rule name "negative" is already used/),
      expect.stringMatching(/^rules\/alerts\.yaml:7:25: rules\[1\]\.match\.sentiment: /),
      expect.stringMatching(/^rules\/alerts\.yaml:8:23: rules\[1\]\.notify\[0\]\.email: /),
      expect.stringMatching(/^rules\/alerts\.yaml:11:17: rules\[2\]\.group_wait: /),
      'rules/alerts.yaml:16:5: digests[0].timezon: unknown key "timezon": did you mean "timezone"?',
      'sources/acme.yaml:3:1: querry: unknown key "querry": did you mean "query"?',
    ]);
  });

  it("a brand's broken query does not hide its sources' problems, nor a bad common field the type's own", () => {
    const brand = `brand: acme\nname: Acme\nquery: '"acme cloud'\nsources:\n  - type: rss\n    every: 5x\n  - type: hackernews\n    every: 1m\n    querry: acme\n`;
    expect(problemsFor({ 'sources/acme.yaml': brand, 'rules/alerts.yaml': 'rules: []\n' })).toEqual([
      'sources/acme.yaml:3:9: query: unterminated quote: add a closing "',
      'sources/acme.yaml:5:5: sources[0].url: url is required: the feed\'s address, e.g. https://example.com/feed.xml',
      'sources/acme.yaml:6:12: sources[0].every: "5x" is not a duration: write it like 30s, 15m, 2h or 7d',
      'sources/acme.yaml:7:5: sources[1].query: missing: this key is required; give it a value',
      expect.stringMatching(/^sources\/acme\.yaml:9:5: sources\[1\]\.querry: unknown key "querry": did you mean "query"\?/),
    ]);
  });
});
