import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { SOURCE_TYPES } from '../sources/registry.js';
import { RULE_TYPES } from '../config/schema.js';
import { runCli } from '../../test/helpers/cli.js';

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
    expect(readFileSync(join(dir, 'rules/alerts.yaml'), 'utf8')).toMatch(/name: abusive-posts[\s\S]*flags: \[offensive, hate\]/);
  });
});
