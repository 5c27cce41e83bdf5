import { existsSync, mkdtempSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { SOURCE_TYPES } from '../sources/registry.js';
import { RULE_TYPES } from '../config/schema.js';
import { repoRoot, runCli } from '../../test/helpers/cli.js';
import { howToRun } from './init.js';

/** One rule per rule type plus the moderation example (a second mention rule, on flags), six sources, one digest. */
const ruleCount: number = RULE_TYPES.length + 1;
const EXPECTED_COUNTS = `config OK (1 brand, 6 sources, ${ruleCount} rule${ruleCount === 1 ? '' : 's'}, 1 digest)`;

const fresh = () => mkdtempSync(join(tmpdir(), 'earshot-init-'));

/** Every credential a starter deployment can use, with dummy values. */
const ALL_ENV = [
  'SLACK_BOT_TOKEN=xoxb-dummy-token',
  'SMTP_URL=smtp://user:secret@127.0.0.1:2525',
  'EMAIL_FROM=alerts@example.com',
  'REDDIT_CLIENT_ID=id',
  'REDDIT_CLIENT_SECRET=secret-value',
  'REDDIT_USER_AGENT=linux:earshot-test:v1 (by /u/test)',
  'TWITTER_BEARER_TOKEN=bearer-dummy',
  'BLUESKY_HANDLE=example.bsky.social',
  'BLUESKY_APP_PASSWORD=abcd-efgh-ijkl-mnop',
  'MASTODON_ACCESS_TOKEN=masto-dummy',
].join('\n');

describe('earshot init', () => {
  it('writes a starter that passes `earshot check` as written: one example per source type, rule type and a digest', async () => {
    const dir = fresh();
    const init = await runCli(dir, ['init', dir]);
    expect(init.code).toBe(0);
    expect(init.stdout.split('\n').slice(0, 3)).toEqual([
      `wrote ${join(dir, 'sources/example.yaml')}`,
      `wrote ${join(dir, 'rules/alerts.yaml')}`,
      `wrote ${join(dir, '.env.example')}`,
    ]);
    expect(existsSync(join(dir, 'data'))).toBe(true);

    const check = await runCli(dir, ['check']);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(EXPECTED_COUNTS);
    // Without secrets the only problems are the credentials the examples need (warnings).
    const problems = check.stdout.split('\n').filter((l) => /^(sources|rules)\//.test(l));
    expect(problems.every((l) => l.includes(': warning: '))).toBe(true);

    const sources = parse(readFileSync(join(dir, 'sources/example.yaml'), 'utf8')) as { sources: Array<{ type: string }> };
    expect(sources.sources.map((s) => s.type).sort()).toEqual([...SOURCE_TYPES].sort());
    const rules = parse(readFileSync(join(dir, 'rules/alerts.yaml'), 'utf8')) as { rules: Array<{ type: string }>; digests: unknown[] };
    expect([...new Set(rules.rules.map((r) => r.type))].sort()).toEqual([...RULE_TYPES].sort());
    expect(rules.digests).toHaveLength(1);
    expect(statSync(join(dir, 'sources/example.yaml')).mode & 0o777).toBe(0o600);
  });

  it('with every credential of .env.example filled in, passes `earshot check --strict` with no warning at all', async () => {
    const dir = fresh();
    await runCli(dir, ['init', dir]);
    const example = readFileSync(join(dir, '.env.example'), 'utf8');
    for (const line of ALL_ENV.split('\n')) expect(example).toMatch(new RegExp(`^#? ?${line.split('=')[0]}=`, 'm'));
    writeFileSync(join(dir, '.env'), ALL_ENV);
    const strict = await runCli(dir, ['check', '--strict']);
    expect(strict.stdout).toBe(EXPECTED_COUNTS);
    expect(strict.code).toBe(0);
  });

  it('never overwrites without --force', async () => {
    const dir = fresh();
    await runCli(dir, ['init', dir]);
    writeFileSync(join(dir, 'rules/alerts.yaml'), 'rules: []\n');
    const again = await runCli(dir, ['init', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exist');
    expect(readFileSync(join(dir, 'rules/alerts.yaml'), 'utf8')).toBe('rules: []\n');
    expect((await runCli(dir, ['init', '--force', dir])).code).toBe(0);
    expect(readFileSync(join(dir, 'rules/alerts.yaml'), 'utf8')).toContain('negative-mention');
    expect(readFileSync(join(dir, 'rules/alerts.yaml'), 'utf8')).toMatch(/name: abusive-posts[\s\S]*flags: \{ offensive: \{ atLeast: 0\.8 \}, hate: \{ atLeast: 0\.8 \} \}/);
  });

  it('into a file, or a path under a file, says so (exit 1, not an internal error)', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'notes.txt'), 'x');
    const onFile = await runCli(dir, ['init', join(dir, 'notes.txt')]);
    expect(onFile.code).toBe(1);
    expect(onFile.stderr).toBe(`earshot: ${join(dir, 'notes.txt')} is a file: give a directory (new or existing) to write the deployment into`);
    const under = await runCli(dir, ['init', join(dir, 'notes.txt', 'deploy')]);
    expect(under.code).toBe(1);
    expect(under.stderr).toMatch(/^earshot: cannot write .*notes\.txt\/deploy\/sources\/example\.yaml \(ENOTDIR\): choose a directory you can write to$/);
  });
});

describe('earshot init: the first hour', () => {
  it('writes schema lines that resolve, a rules test that passes, and cites README sections that exist', async () => {
    const dir = fresh();
    expect((await runCli(dir, ['init', dir])).code).toBe(0);
    for (const name of ['sources/example.yaml', 'rules/alerts.yaml', 'rules/alerts.test.yaml']) {
      const first = readFileSync(join(dir, name), 'utf8').split('\n')[0]!;
      const schema = /^# yaml-language-server: \$schema=(.+\.schema\.json)$/.exec(first)?.[1];
      expect(schema, `${name}: ${first}`).toBeDefined();
      expect(existsSync(schema!), schema).toBe(true);
    }
    const unit = await runCli(dir, ['rules', 'test', '--unit']);
    expect(unit.stderr).toBe('');
    expect(unit.code).toBe(0);
    expect(unit.stdout).toMatch(/passed/);

    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const headings = new Set([...readme.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.trim()));
    const bold = new Set([...readme.matchAll(/\*\*([^*]+)\*\*/g)].map((m) => m[1]!.trim()));
    for (const name of ['sources/example.yaml', 'rules/alerts.yaml', 'rules/alerts.test.yaml', '.env.example']) {
      for (const cited of readFileSync(join(dir, name), 'utf8').matchAll(/README[^("\n]*\("([^"]+)"/g)) {
        expect(headings.has(cited[1]!) || bold.has(cited[1]!), `${name} cites README "${cited[1]}"`).toBe(true);
      }
    }
  });

  it('says how to run earshot with a command that works from here', () => {
    const bin = mkdtempSync(join(tmpdir(), 'earshot-bin-'));
    const script = join(repoRoot, 'bin/earshot.js');
    expect(howToRun({ script, path: '/nonexistent' })).toBe(`node ${script}`);
    symlinkSync(script, join(bin, 'earshot'));
    expect(howToRun({ script, path: ['/nonexistent', bin].join(delimiter) })).toBe('earshot');
    // An `earshot` on PATH that is another install does not count.
    const other = mkdtempSync(join(tmpdir(), 'earshot-bin-'));
    writeFileSync(join(other, 'earshot'), '#!/bin/sh\n', { mode: 0o755 });
    expect(howToRun({ script, path: other })).toBe(`node ${script}`);
  });

  it('prints the default of [dir] once in its help', async () => {
    const r = await runCli(fresh(), ['init', '--help']);
    expect(r.stdout.match(/default/g)).toHaveLength(1);
  });
});
