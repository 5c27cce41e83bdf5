/**
 * `earshot rules test` with rule unit tests (rules/*.test.yaml): real CLI, real files, real
 * SQLite where the replay runs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDeployment, repoRoot, runCli } from './helpers/cli.js';

const RULES = `rules:
  - name: negative
    match: { sentiment: negative }
    throttle: 10m
    notify: [{ slack: "#alerts" }]
`;

const PASSING = `tests:
  - name: two complaints, one throttled
    mentions:
      - { at: 0s, text: "acme is down", sentiment: negative, urgency: low }
      - { at: 1m, text: "acme still down", sentiment: negative, urgency: low }
    expect:
      - { rule: negative, at: 0s, mentions: 1 }
      - { rule: negative, at: 10m, mentions: 1 }
`;

const FAILING = `tests:
  - name: praise is quiet
    mentions:
      - { at: 0s, text: "love acme", sentiment: positive, urgency: low }
    expect: []
  - name: wrong expectation
    mentions:
      - { at: 0s, text: "acme is down", sentiment: negative, urgency: low }
    expect:
      - { rule: negative, at: 5m }
`;

function deployment(files: Record<string, string> = {}): string {
  return makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: acme\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never-polled.xml\n`,
    'rules/alerts.yaml': RULES,
    ...files,
  });
}

describe('earshot rules test: rule unit tests', () => {
  it("the repo's own rules/alerts.test.yaml passes against rules/alerts.yaml", async () => {
    const r = await runCli(repoRoot, ['rules', 'test', '--unit']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+ rule tests: (\d+) passed, 0 failed$/m);
    expect(r.stdout).not.toContain('FAIL');
  });

  it('prints a line per test and what differed; exits 1 when one fails, without a database', async () => {
    const dir = deployment({ 'rules/a.test.yaml': PASSING, 'rules/b.test.yaml': FAILING });
    const r = await runCli(dir, ['rules', 'test', '--unit']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      'ok    rules/a.test.yaml:2  two complaints, one throttled',
      'ok    rules/b.test.yaml:2  praise is quiet',
      'FAIL  rules/b.test.yaml:6  wrong expectation',
      '        missing alert: expected negative at 5m (rules/b.test.yaml:10:9)',
      '        unexpected alert: negative at 0s with 1 mention [#1]',
      '3 rule tests: 2 passed, 1 failed',
    ]);
  });

  it('by default runs the tests and skips the replay when there is no database', async () => {
    const dir = deployment({ 'rules/a.test.yaml': PASSING });
    const r = await runCli(dir, ['rules', 'test']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 rule test: 1 passed, 0 failed');
    expect(r.stdout).toContain('the replay of stored mentions is skipped');
  });

  it('by default runs both when there is a database; --since runs only the replay; --unit only the tests', async () => {
    const dir = deployment({ 'rules/b.test.yaml': FAILING });
    const file = join(dir, 'in.jsonl');
    const published = new Date(Date.now() - 3_600_000).toISOString();
    writeFileSync(file, `${JSON.stringify({ brand: 'acme', source: 'rss', id: '1', url: 'https://example.com/1', title: '', text: 'acme lost my data, terrible, I hate it', published })}\n`);
    expect((await runCli(dir, ['import', file, '--no-alerts'])).code).toBe(0);

    const both = await runCli(dir, ['rules', 'test']);
    expect(both.code).toBe(1);
    expect(both.stdout).toContain('FAIL  rules/b.test.yaml:6  wrong expectation');
    expect(both.stdout).toContain('replayed 1 mentions since');

    const replay = await runCli(dir, ['rules', 'test', '--since', '7d']);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain('replayed 1 mentions since');
    expect(replay.stdout).not.toContain('rule test');

    const unit = await runCli(dir, ['rules', 'test', '--unit']);
    expect(unit.code).toBe(1);
    expect(unit.stdout).not.toContain('replayed');
  });

  it('runs only the files given, wherever they are', async () => {
    const dir = deployment({ 'rules/b.test.yaml': FAILING, 'ci/ok.test.yaml': PASSING });
    const r = await runCli(dir, ['rules', 'test', join(dir, 'ci/ok.test.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['ok    ci/ok.test.yaml:2  two complaints, one throttled', '1 rule test: 1 passed, 0 failed']);
  });

  it('a broken test file is reported with file:line:col and fails the run; the other files still run', async () => {
    const dir = deployment({ 'rules/a.test.yaml': PASSING, 'rules/b.test.yaml': 'tests:\n  - name: t\n    mentions: []\n    expect:\n      - { rule: negativ }\n' });
    const r = await runCli(dir, ['rules', 'test', '--unit']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rules/b.test.yaml:5:17: tests[0].expect[0].rule: unknown rule "negativ": rules are negative');
    expect(r.stderr).toContain('rules/b.test.yaml: 1 problem in the rule test file: its tests did not run');
    expect(r.stdout).toContain('1 rule test: 1 passed, 0 failed, 1 file with errors');
  });

  it('--json prints one object per test', async () => {
    const dir = deployment({ 'rules/b.test.yaml': FAILING });
    const r = await runCli(dir, ['rules', 'test', '--unit', '--json']);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { test: 'praise is quiet', file: 'rules/b.test.yaml', line: 2, passed: true, failures: [], alerts: [] },
      {
        test: 'wrong expectation',
        file: 'rules/b.test.yaml',
        line: 6,
        passed: false,
        failures: ['missing alert: expected negative at 5m (rules/b.test.yaml:10:9)', 'unexpected alert: negative at 0s with 1 mention [#1]'],
        alerts: [{ rule: 'negative', at: '0s', mentions: ['#1'], heldBack: null }],
      },
    ]);
  });

  it.each([
    [['--unit'], 'no rule tests: add rules/<name>.test.yaml'],
    [['--unit', '--replay'], '--unit runs only the rule tests and --replay only the replay'],
    [['rules/nope.test.yaml'], 'nope.test.yaml: no such rule test file'],
    [['rules/a.test.yaml', '--since', '7d'], 'test files run only the rule tests; --replay and --since replay stored mentions'],
  ])('rules test %j exits 1: %s', async (args, message) => {
    const dir = deployment();
    const r = await runCli(dir, ['rules', 'test', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
  });

  it('test files are not loaded as rules files', async () => {
    const dir = deployment({ 'rules/a.test.yaml': PASSING });
    const r = await runCli(dir, ['check']);
    expect(r.stderr).not.toContain('a.test.yaml');
    expect(r.code).toBe(0);
  });
});
