/**
 * The CLI contract of SPEC.md: import, rules test, mentions, analyze, init, check, exit codes.
 * Real SQLite files, real Slack server where alerts are involved.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeployment, runCli } from './helpers/cli.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';

let slack: SlackServer;
beforeAll(async () => {
  slack = await startSlackServer();
});
afterAll(async () => {
  await slack.close();
});

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

function deployment(rules = `rules:\n  - name: negative\n    match: { brand: acme, sentiment: negative }\n    throttle: 1h\n    notify: [{ slack: "#alerts" }]\n`): string {
  return makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud" OR acmecloud'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never-polled.xml\n`,
    'rules/alerts.yaml': rules,
    '.env': `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\n`,
  });
}

function jsonl(rows: unknown[]): string {
  return rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
}

const negative = (id: string, h: number, extra: Record<string, unknown> = {}) => ({
  brand: 'acme',
  source: 'twitter',
  id,
  url: `https://x.com/u/status/${id}`,
  author: 'dana',
  title: '',
  text: `acme cloud lost my files (${id}), worst support ever, I want a refund`,
  published: hoursAgo(h),
  reach: 100,
  ...extra,
});

describe('earshot import', () => {
  it('imports valid lines, reports bad ones with their line numbers, and alerts through the rules', async () => {
    const dir = deployment();
    const file = join(dir, 'in.jsonl');
    writeFileSync(
      file,
      jsonl([
        negative('1', 1),
        '{not json',
        { brand: 'acme', source: 'myspace', published: 'yesterday' },
        { brand: 'nobody', source: 'rss', id: 'y', text: 'acme cloud' },
        { brand: 'acme', source: 'rss', id: 'z', text: 'nothing about the brand' },
        negative('2', 0.5),
      ]),
    );
    const before = slack.messages.length;
    const r = await runCli(dir, ['import', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:2: not valid JSON`);
    // Every problem of the line at once: the missing field, then each wrong one.
    expect(r.stderr).toContain(`${file}:3: missing id; source: `);
    expect(r.stderr).toContain('; published: published must be an ISO 8601 time');
    expect(r.stderr).toContain(`${file}:4: brand: unknown brand "nobody"`);
    expect(r.stdout).toContain('6 lines: 2 stored (0 duplicates), 0 already stored, 1 did not match the brand query, 3 skipped as invalid; 1 alert');
    // Both negative mentions, one throttled group: one message listing both.
    expect(slack.messages.length - before).toBe(1);
    expect(JSON.stringify(slack.messages.at(-1)!.blocks)).toContain('x.com/u/status/2');

    // The same file again: nothing new is stored or sent.
    const again = await runCli(dir, ['import', file]);
    expect(again.stdout).toContain('6 lines: 0 stored (0 duplicates), 2 already stored, 1 did not match the brand query, 3 skipped as invalid');
    expect(slack.messages.length - before).toBe(1);
  });

  it('--no-alerts stores without alerting', async () => {
    const dir = deployment();
    const file = join(dir, 'in.jsonl');
    writeFileSync(file, jsonl([negative('q1', 1)]));
    const before = slack.messages.length;
    const r = await runCli(dir, ['import', file, '--no-alerts']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 stored');
    expect(slack.messages.length).toBe(before);
    const rt = await runCli(dir, ['rules', 'test', '--since', '7d']);
    expect(rt.stdout).toContain('negative: would have sent 1 alert (1 mention)');
  });
});

describe('earshot rules test', () => {
  it('replays history through the rules with throttle, printing counts and examples, sending nothing', async () => {
    const dir = deployment(
      `rules:\n  - name: negative\n    match: { sentiment: negative }\n    throttle: 1h\n    notify: [{ slack: "#alerts" }]\n  - name: each\n    match: { source: twitter }\n    notify: [{ slack: "#all" }]\n`,
    );
    const file = join(dir, 'in.jsonl');
    // Mentions at -10h, -9.5h, -8h, -1h: throttle 1h -> alerts at -10h, -9h (holding -9.5h), -8h, -1h.
    writeFileSync(file, jsonl([negative('a', 10), negative('b', 9.5), negative('c', 8), negative('d', 1)]));
    await runCli(dir, ['import', file, '--no-alerts']);
    const before = slack.messages.length;
    const r = await runCli(dir, ['rules', 'test', '--since', '7d']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('replayed 4 mentions');
    expect(r.stdout).toContain('negative: would have sent 4 alerts (4 mentions)');
    expect(r.stdout).toContain('each: would have sent 4 alerts (4 mentions)');
    const json = await runCli(dir, ['rules', 'test', '--since', '7d', '--json', '--rule', 'negative']);
    const alerts = json.stdout.split('\n').map((l) => JSON.parse(l) as { at: string; mentions: unknown[] });
    expect(alerts.map((a) => a.mentions.length)).toEqual([1, 1, 1, 1]);
    const gap = Date.parse(alerts[1]!.at) - Date.parse(alerts[0]!.at);
    expect(gap).toBe(3_600_000); // b waited for the throttle to end
    expect(slack.messages.length).toBe(before);
    const since = await runCli(dir, ['rules', 'test', '--since', '2h', '--rule', 'negative']);
    expect(since.stdout).toContain('negative: would have sent 1 alert (1 mention)');
    const bad = await runCli(dir, ['rules', 'test', '--rule', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--rule nope: no such rule; rules are negative, each');
  });
});

describe('earshot mentions', () => {
  it('lists with filters; JSON is one object per line; text output is terminal-safe', async () => {
    const dir = deployment();
    const file = join(dir, 'in.jsonl');
    writeFileSync(
      file,
      jsonl([
        negative('m1', 1),
        { brand: 'acme', source: 'reddit', id: 'm2', text: 'I love acme cloud, great uptime \u001b[31mred', published: hoursAgo(2) },
        { brand: 'acme', source: 'rss', id: 'm3', text: 'acme cloud quarterly results', published: hoursAgo(72) },
      ]),
    );
    await runCli(dir, ['import', file, '--no-alerts']);
    const all = await runCli(dir, ['mentions', '--json']);
    const rows = all.stdout.split('\n').map((l) => JSON.parse(l) as { sourceId: string; sentiment: { label: string }; status: string; tags: string[] });
    expect(rows.map((m) => m.sourceId)).toEqual(['m1', 'm2']);
    // Each line carries the mention's triage status (SPEC: `earshot mentions --json` includes status).
    expect(rows.map((m) => [m.status, m.tags])).toEqual([
      ['open', []],
      ['open', []],
    ]);
    const week = await runCli(dir, ['mentions', '--json', '--since', '7d', '--source', 'rss']);
    expect(week.stdout.split('\n').map((l) => (JSON.parse(l) as { sourceId: string }).sourceId)).toEqual(['m3']);
    const neg = await runCli(dir, ['mentions', '--json', '--sentiment', 'negative']);
    expect(neg.stdout.split('\n').map((l) => (JSON.parse(l) as { sourceId: string }).sourceId)).toEqual(['m1']);
    const search = await runCli(dir, ['mentions', '--json', '--since', '7d', '--search', 'uptime']);
    expect(search.stdout.split('\n').map((l) => (JSON.parse(l) as { sourceId: string }).sourceId)).toEqual(['m2']);
    const text = await runCli(dir, ['mentions']);
    expect(text.stdout).toContain('2 mentions');
    expect(text.stdout).not.toContain('\u001b');
    const bad = await runCli(dir, ['mentions', '--sentiment', 'angry']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--sentiment angry');
  });

  it('says when the window is empty but older mentions match (imported history is outside the default 24 h)', async () => {
    const dir = deployment();
    const file = join(dir, 'old.jsonl');
    writeFileSync(file, jsonl([{ brand: 'acme', source: 'rss', id: 'old', title: '', text: 'acme cloud last month', published: '2026-11-02T10:00:00Z' }]));
    expect((await runCli(dir, ['import', file, '--no-alerts'])).code).toBe(0);
    const r = await runCli(dir, ['mentions']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^0 mentions\n\(none published since \d{4}-\d\d-\d\d \d\d:\d\d UTC; the newest that matches is from 2026-11-02: try --since 30d, or a date\)$/);
    // Nothing older matches a search for something else: no hint.
    expect((await runCli(dir, ['mentions', '--search', 'refund'])).stdout).toBe('0 mentions');
    expect((await runCli(dir, ['mentions', '--json'])).stdout).toBe('');
  });
});

describe('earshot mentions --search', () => {
  const ids = (stdout: string) => (stdout ? stdout.split('\n').map((l) => (JSON.parse(l) as { sourceId: string }).sourceId) : []);
  let dir: string;
  beforeAll(async () => {
    dir = deployment();
    const file = join(dir, 'in.jsonl');
    const row = (id: string, text: string, title = '') => ({ brand: 'acme', source: 'rss', id, title, text, published: hoursAgo(1) });
    writeFileSync(
      file,
      jsonl([
        row('bike', 'acme cloud tracks my E-Bike battery'),
        row('fire', 'acme cloud battery caught fire'),
        row('fire-alarm', 'acme cloud battery, and the fire_alarm stayed silent'),
        row('refund', 'acme cloud refund: still waiting', 'Refunded?'),
        row('handle', 'thanks @refund team, says acme cloud'),
        row('broken', 'acme cloud is broken again'),
        row('tokyo', 'acme cloud 東京リージョン down'),
      ]),
    );
    expect((await runCli(dir, ['import', file, '--no-alerts'])).code).toBe(0);
  });

  it.each([
    ['e-bike', ['bike']],
    ['battery -fire', ['fire-alarm', 'bike']],
    ['refund:', ['handle', 'refund']],
    ['refund OR "broken again"', ['broken', 'handle', 'refund']],
    ['refund*', ['handle', 'refund']],
    ['@refund', ['handle']],
    ['東京', ['tokyo']],
    ['NEAR(acme cloud)', []],
  ])('%s takes the query language: finds %j', async (query, expected) => {
    const r = await runCli(dir, ['mentions', '--json', '--search', query]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(ids(r.stdout).sort()).toEqual([...expected].sort());
  });

  it('names the known brands for an unknown --brand instead of "0 mentions"', async () => {
    const r = await runCli(dir, ['mentions', '--brand', 'nosuch']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('earshot: --brand nosuch: no such brand; brands are acme');
  });

  it('points at the problem in a bad query, like check does', async () => {
    const r = await runCli(dir, ['mentions', '--search', 'refund OR "broken']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'earshot: --search: column 11: unterminated quote: add a closing "\n' +
        '  refund OR "broken\n' +
        '            ^',
    );
  });
});

describe('earshot analyze', () => {
  it('scores TEXT arguments, CSV and JSON lines', async () => {
    const dir = deployment();
    const args = await runCli(dir, ['analyze', 'I hate this, worst service ever', 'Thanks, great job!']);
    const [a, b] = args.stdout.split('\n').map((l) => JSON.parse(l) as { id: string; sentiment: { label: string; score: number }; urgency: { level: string; score: number } });
    // Ids are strings whatever the input, as SPEC.md shows ({"id": "1", ...}).
    expect(a).toMatchObject({ id: '1', sentiment: { label: 'negative' } });
    expect(b).toMatchObject({ id: '2', sentiment: { label: 'positive' } });
    expect(a!.urgency.score).toBeGreaterThanOrEqual(0);
    expect(a!.urgency.score).toBeLessThanOrEqual(1);

    const csv = join(dir, 'in.csv');
    writeFileSync(csv, 'id,text\nx1,"Terrible, the app crashed and I lost everything"\nx2,"Lovely, thank you ""so"" much"\n');
    const fromCsv = await runCli(dir, ['analyze', '--input', csv]);
    const rows = fromCsv.stdout.split('\n').map((l) => JSON.parse(l) as { id: string; sentiment: { label: string } });
    expect(rows.map((r) => [r.id, r.sentiment.label])).toEqual([
      ['x1', 'negative'],
      ['x2', 'positive'],
    ]);

    const lines = join(dir, 'in.jsonl');
    writeFileSync(lines, '{"id":"j1","text":"outage again, nothing works"}\n{"id":"j2"}\n{"id":"j3", text: unquoted}\nnull\n');
    const fromJsonl = await runCli(dir, ['analyze', '--input', lines]);
    expect(fromJsonl.code).toBe(1);
    expect(fromJsonl.stdout.split('\n')).toHaveLength(1);
    expect(fromJsonl.stderr).toContain(`${lines}:2: no "text" string`);
    expect(fromJsonl.stderr).toMatch(new RegExp(`${lines.replace(/[.*+?^$()|[\]\\]/g, '\\$&')}:3: not valid JSON \\(.*\\); line skipped`));
    expect(fromJsonl.stderr).toContain(`${lines}:4: expected a JSON object with "text" (and usually "id"); line skipped`);

    const none = await runCli(dir, ['analyze']);
    expect(none.code).toBe(1);
  });

  it('--brand scores toward a configured brand, with flags; an unknown brand names the known ones', async () => {
    const dir = makeDeployment({
      'sources/zephyr.yaml': `brand: zephyr\nname: Zephyr Bikes\nhandles: [zephyrbikes]\nquery: zephyr\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never-polled.xml\n`,
    });
    const question = '@zephyrbikes does the Trail 2 fit riders under 160cm?';
    const r = await runCli(dir, ['analyze', '--brand', 'zephyr', question, 'Zephyr Bikes']);
    expect(r.code).toBe(0);
    const [q, name] = r.stdout.split('\n').map((l) => JSON.parse(l) as { sentiment: { label: string }; urgency: { reasons: string[] }; flags: Record<string, number> });
    expect(q!.sentiment.label).toBe('neutral');
    expect(q!.urgency.reasons).toEqual(['question to @zephyrbikes']);
    expect(Object.keys(q!.flags).sort()).toEqual(['hate', 'irony', 'offensive']);
    expect(name!.sentiment.label).toBe('neutral');
    const unknown = await runCli(dir, ['analyze', '--brand', 'zephir', 'x']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('--brand zephir: no such brand; brands are zephyr');
  });
});

describe('earshot init and check', () => {
  it('init writes a starter deployment that passes check; refuses to overwrite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-init-'));
    const r = await runCli(dir, ['init', dir]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, '.env.example'), 'utf8')).toContain('SLACK_BOT_TOKEN=');
    const check = await runCli(dir, ['check']);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('config OK');
    const again = await runCli(dir, ['init', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exist');
  });

  it('check exits 1 with file:line:col problems, and 1 on warnings with --strict', async () => {
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme\nquery: 'acme'\nsources:\n  - type: rss\n    url: https://example.com/f.xml\n    every: often\n`,
      'rules/alerts.yaml': `rules:\n  - name: r\n    notify: [{ slack: "#a" }]\n`,
    });
    const r = await runCli(dir, ['check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('sources/acme.yaml:7:12: sources[0].every: "often" is not a duration');
    writeFileSync(join(dir, 'sources/acme.yaml'), `brand: acme\nname: Acme\nquery: 'acme'\nsources:\n  - type: rss\n    url: https://example.com/f.xml\n`);
    expect((await runCli(dir, ['check'])).code).toBe(0);
    const strict = await runCli(dir, ['check', '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('warning: rules.r.notify: slack is not configured');
  });

  it('bad arguments exit 1; --help and --version exit 0', async () => {
    const dir = deployment();
    expect((await runCli(dir, ['frobnicate'])).code).toBe(1);
    expect((await runCli(dir, ['mentions', '--limit', 'lots'])).code).toBe(1);
    expect((await runCli(dir, ['poll'])).code).toBe(1);
    const help = await runCli(dir, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('rules');
    expect((await runCli(dir, ['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+/);
    const noDb = await runCli(dir, ['status']);
    expect(noDb.code).toBe(1);
    expect(noDb.stderr).toContain('no database at');
  });

  it('the repository example config passes check', async () => {
    const r = await runCli(join(__dirname, '..'), ['check']);
    expect(r.stdout).toContain('config OK');
    expect(r.code).toBe(0);
  });
});
