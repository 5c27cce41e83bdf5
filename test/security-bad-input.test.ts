/**
 * Bad input never crashes earshot:
 *  - every file in ../shared/fixtures/feeds/malformed/ served to `earshot poll --once`: each
 *    source is either parsed leniently or fails with a clear error naming it; exit 0 or 1,
 *    never 2 (an internal error), and no poll is recorded as an internal failure;
 *  - invalid YAML of every kind through `earshot check`: each reported as `file:line:col` (or
 *    `file:` for a whole-file problem such as size), exit 1, never 2, and fast.
 */
import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeployment, repoRoot, runCli } from './helpers/cli.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';

const MALFORMED = resolve(repoRoot, '../shared/fixtures/feeds/malformed');

describe.skipIf(!existsSync(MALFORMED))('malformed feeds (../shared/fixtures/feeds/malformed)', () => {
  let feed: FeedServer;
  beforeAll(async () => {
    feed = await startFeedServer();
  });
  afterAll(async () => {
    await feed.close();
  });

  it('parses each leniently or fails it with an error naming the source; never an internal error', async () => {
    const files = readdirSync(MALFORMED).filter((f) => !f.startsWith('.')).sort();
    expect(files.length).toBeGreaterThan(10);
    const contentType = (f: string) => (f.endsWith('.html') ? 'text/html; charset=utf-8' : f.includes('text-plain') ? 'text/plain' : 'application/xml');
    files.forEach((f, i) => feed.route(`/m${i}`, { body: readFileSync(join(MALFORMED, f)), headers: { 'content-type': contentType(f) } }));
    const sources = files.map((f, i) => `  - type: rss\n    id: m${i}\n    url: ${feed.url(`/m${i}`)}\n`).join('');
    const dir = makeDeployment({
      'sources/any.yaml': `brand: any\nname: Anything\nquery: 'the OR der OR die OR und OR a OR news OR feed OR item'\nsources:\n${sources}`,
      'rules/alerts.yaml': 'rules: []\n',
    });
    const r = await runCli(dir, ['poll', '--once']);
    console.log(r.stdout);
    expect([0, 1]).toContain(r.code);
    expect(r.stderr).not.toMatch(/internal error/);
    for (const [i, f] of files.entries()) {
      const line = r.stdout.split('\n').find((l) => l.startsWith(`any/m${i}: `));
      expect(line, f).toBeDefined();
      // Either parsed ("N fetched") or a clear failure naming the feed's URL.
      expect(line, f).toMatch(new RegExp(`^any/m${i}: (\\d+ fetched|FAILED: .*(127\\.0\\.0\\.1:\\d+/m${i}|any/m${i}).*)`));
    }
    const db = new Database(join(dir, 'data/earshot.db'), { readonly: true });
    const kinds = db.prepare("SELECT source_key, error_kind, error FROM poll_log WHERE outcome = 'error'").all() as Array<{ source_key: string; error_kind: string; error: string }>;
    db.close();
    for (const k of kinds) expect(k.error_kind, `${k.source_key}: ${k.error}`).not.toBe('internal');
  }, 60_000);
});

const GOOD_SOURCES = `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: https://example.com/feed.xml\n`;
const GOOD_RULES = 'rules:\n  - name: all\n    notify: [{ slack: "#alerts" }]\n';

interface BadYaml {
  name: string;
  file: 'sources/acme.yaml' | 'rules/alerts.yaml';
  content: string | Buffer;
  /** The expected problem line: a regex on `earshot check` output. */
  expect: RegExp;
}

const aliasBomb = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
  'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
  'rules: *i',
].join('\n');

const CASES: BadYaml[] = [
  { name: 'tab indentation', file: 'rules/alerts.yaml', content: 'rules:\n\t- name: all\n\t  notify: [{ slack: "#a" }]\n', expect: /^rules\/alerts\.yaml:2:\d+: .*tab/im },
  { name: 'duplicate key', file: 'sources/acme.yaml', content: GOOD_SOURCES.replace('name: Acme Cloud\n', 'name: Acme Cloud\nname: Acme Again\n'), expect: /^sources\/acme\.yaml:3:1: .*duplicate key/im },
  { name: 'wrong type (number for a list)', file: 'rules/alerts.yaml', content: 'rules:\n  - name: all\n    notify: 42\n', expect: /^rules\/alerts\.yaml:3:\d+: .*notify/m },
  { name: 'wrong type (mapping for a string)', file: 'sources/acme.yaml', content: GOOD_SOURCES.replace("query: '\"acme cloud\"'", 'query: { a: 1 }'), expect: /^sources\/acme\.yaml:3:\d+: .*query/m },
  { name: 'wrong type (string for a duration)', file: 'sources/acme.yaml', content: `${GOOD_SOURCES}    every: soon\n`, expect: /^sources\/acme\.yaml:7:\d+: .*every.*duration/m },
  { name: 'unknown key', file: 'rules/alerts.yaml', content: 'rules:\n  - name: all\n    throtle: 10m\n    notify: [{ slack: "#a" }]\n', expect: /^rules\/alerts\.yaml:3:5: .*throtle/m },
  { name: 'unknown top-level key', file: 'sources/acme.yaml', content: `${GOOD_SOURCES}extra: true\n`, expect: /^sources\/acme\.yaml:7:1: .*extra/m },
  { name: 'unclosed quote', file: 'sources/acme.yaml', content: "brand: acme\nname: 'Acme Cloud\nquery: x\n", expect: /^sources\/acme\.yaml:\d+:\d+: invalid YAML/m },
  { name: 'unclosed flow sequence', file: 'rules/alerts.yaml', content: 'rules: [\n  { name: all\n', expect: /^rules\/alerts\.yaml:\d+:\d+: invalid YAML/m },
  { name: 'a list where a mapping belongs', file: 'rules/alerts.yaml', content: '- name: all\n- name: two\n', expect: /^rules\/alerts\.yaml:1:1: /m },
  { name: 'a bare scalar document', file: 'sources/acme.yaml', content: 'just some text\n', expect: /^sources\/acme\.yaml:1:1: /m },
  { name: 'several documents', file: 'rules/alerts.yaml', content: `${GOOD_RULES}---\n${GOOD_RULES}`, expect: /^rules\/alerts\.yaml:\d+:\d+: /m },
  { name: 'alias bomb (billion laughs)', file: 'rules/alerts.yaml', content: aliasBomb, expect: /^rules\/alerts\.yaml:2:\d+: .*(alias|excessive)/im },
  { name: 'undefined alias', file: 'rules/alerts.yaml', content: 'rules: *nothing\n', expect: /^rules\/alerts\.yaml:1:\d+: .*(alias|nothing)/im },
  { name: 'custom tag', file: 'rules/alerts.yaml', content: 'rules: !!js/function "function () { return 1 }"\n', expect: /^rules\/alerts\.yaml:1:\d+: /m },
  { name: 'deep nesting', file: 'rules/alerts.yaml', content: `rules: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, expect: /^rules\/alerts\.yaml(:\d+:\d+)?: /m },
  { name: 'huge file', file: 'rules/alerts.yaml', content: `${GOOD_RULES}# ${'x'.repeat(2 * 1024 * 1024)}\n`, expect: /^rules\/alerts\.yaml: .*(bytes|large|limit)/m },
  { name: 'NUL and control bytes', file: 'sources/acme.yaml', content: Buffer.from('brand: acme\u0000\nname: \u0007Acme\u001b[31m\n'), expect: /^sources\/acme\.yaml:\d+:\d+: /m },
  { name: 'invalid UTF-8', file: 'sources/acme.yaml', content: Buffer.concat([Buffer.from('brand: acme\nname: '), Buffer.from([0xff, 0xfe, 0xc0]), Buffer.from('\nquery: x\nsources: 3\n')]), expect: /^sources\/acme\.yaml:\d+:\d+: /m },
  { name: 'merge key to a wrong type', file: 'rules/alerts.yaml', content: 'rules:\n  - <<: 5\n    name: all\n    notify: [{ slack: "#a" }]\n', expect: /^rules\/alerts\.yaml:\d+:\d+: /m },
  { name: 'empty file', file: 'sources/acme.yaml', content: '', expect: /^sources\/acme\.yaml(:\d+:\d+)?: /m },
];

describe('invalid YAML through earshot check', () => {
  it.each(CASES)('$name -> a positioned error, exit 1', async ({ file, content, expect: pattern }) => {
    const files: Record<string, string> = { 'sources/acme.yaml': GOOD_SOURCES, 'rules/alerts.yaml': GOOD_RULES };
    const dir = makeDeployment({ ...files, [file]: '' });
    writeFileSync(join(dir, file), content);
    const started = Date.now();
    const r = await runCli(dir, ['check']);
    const elapsed = Date.now() - started;
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stdout).toMatch(pattern);
    expect(r.stdout).toMatch(/\d+ errors?, \d+ warnings? in /);
    // An alias bomb or a huge file must not take long (nor eat memory).
    expect(elapsed).toBeLessThan(5000);
    // Control characters from the file never reach the terminal raw.
    expect(r.stdout).not.toMatch(/[\u0000\u0007\u001b]/);
  });
});
