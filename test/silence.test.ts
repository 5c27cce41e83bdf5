/**
 * `earshot silence add|list|remove` through the real CLI and a real SQLite file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/store/sqlite/db.js';
import { activeSilence, addSilence } from '../src/store/sqlite/silences.js';
import { collect, makeDeployment, runCli, spawnCli } from './helpers/cli.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';

const RULES = `rules:
  - name: negative
    match: { sentiment: negative }
    notify: [{ slack: "#alerts" }]
  - name: urgent
    match: { urgency: high }
    notify: [{ slack: "#alerts" }]
`;

function deployment(): string {
  return makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: acme\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never-polled.xml\n`,
    'sources/globex.yaml': `brand: globex\nname: Globex\nquery: globex\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never-polled-2.xml\n`,
    'rules/alerts.yaml': RULES,
  });
}

const dbOf = (dir: string) => join(dir, 'data', 'earshot.db');
const hoursFromNow = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

describe('earshot silence', () => {
  it('add, list, remove: the silence holds back the rule for its brand, then no longer', async () => {
    const dir = deployment();
    const added = await runCli(dir, ['silence', 'add', '--rule', 'negative', '--brand', 'acme', '--for', '2h', '--reason', 'known outage']);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^silence 1 added: rule negative, brand acme until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(2h\): known outage$/m);

    const db = openDatabase(dbOf(dir));
    try {
      const now = new Date().toISOString();
      const held = activeSilence(db, 'negative', 'acme', now);
      expect(held).toMatchObject({ id: 1, reason: 'known outage' });
      // Ends two hours after it was added (give the test a minute of slack).
      expect(Math.abs(Date.parse(held!.endsAt) - Date.parse(hoursFromNow(2)))).toBeLessThan(60_000);
      expect(activeSilence(db, 'negative', 'globex', now)).toBeNull();
      expect(activeSilence(db, 'urgent', 'acme', now)).toBeNull();
      expect(activeSilence(db, 'negative', 'acme', hoursFromNow(2.1))).toBeNull();
    } finally {
      db.close();
    }

    const list = await runCli(dir, ['silence', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^1 {2}active {2}negative \/ acme {2}until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(2h left\) {2}known outage$/);

    const json = await runCli(dir, ['silence', 'list', '--json']);
    const rows = json.stdout.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: 1, rule: 'negative', brand: 'acme', reason: 'known outage', status: 'active', removedAt: null, unknownRule: false });

    const removed = await runCli(dir, ['silence', 'remove', '1']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe('silence 1 removed: alerts of rule negative for acme are sent again');
    const db2 = openDatabase(dbOf(dir));
    try {
      expect(activeSilence(db2, 'negative', 'acme', new Date().toISOString())).toBeNull();
    } finally {
      db2.close();
    }
    expect((await runCli(dir, ['silence', 'list'])).stdout).toBe('no active silences (`--all` shows ended and removed ones)');
    const all = await runCli(dir, ['silence', 'list', '--all']);
    expect(all.stdout).toMatch(/^1 {2}removed {2}negative \/ acme {2}.* removed .* known outage$/);
    const again = await runCli(dir, ['silence', 'remove', '1']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^silence 1 was already removed at .*; nothing to do$/);
  });

  it("--rule '*' silences every rule for every brand; --start schedules one", async () => {
    const dir = deployment();
    const all = await runCli(dir, ['silence', 'add', '--rule', '*', '--for', '30m', '--reason', 'launch day']);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('silence 1 added: every rule until ');
    const later = await runCli(dir, ['silence', 'add', '--rule', 'urgent', '--for', '1h', '--start', hoursFromNow(24), '--reason', 'maintenance']);
    expect(later.code).toBe(0);
    expect(later.stdout).toMatch(/silence 2 added: rule urgent from .* UTC until .* UTC \(1h\): maintenance/);
    const db = openDatabase(dbOf(dir));
    try {
      const now = new Date().toISOString();
      expect(activeSilence(db, 'urgent', 'globex', now)?.id).toBe(1);
      expect(activeSilence(db, 'negative', 'acme', now)?.id).toBe(1);
      expect(activeSilence(db, 'urgent', 'acme', hoursFromNow(24.5))?.id).toBe(2);
    } finally {
      db.close();
    }
    const list = await runCli(dir, ['silence', 'list']);
    expect(list.stdout.split('\n').map((l) => l.split('  ').slice(0, 3).join(' | '))).toEqual([
      '1 | active | * (every rule)',
      '2 | pending | urgent',
    ]);
  });

  it.each([
    [['--rule', 'nope', '--for', '2h', '--reason', 'x'], "--rule nope: no such rule; rules are negative, urgent (or '*' for every rule)"],
    [['--rule', 'negative', '--brand', 'initech', '--for', '2h', '--reason', 'x'], '--brand initech: no such brand; brands are acme, globex'],
    [['--rule', 'negative', '--for', '2 hours', '--reason', 'x'], '--for 2 hours: expected a duration like 30m, 2h or 1d'],
    [['--rule', 'negative', '--for', '0', '--reason', 'x'], '--for 0: expected a duration like 30m, 2h or 1d'],
    [['--rule', 'negative', '--for', '400d', '--reason', 'x'], '--for 400d: a silence lasts at most 90d'],
    [['--rule', 'negative', '--for', '2h', '--reason', '  '], '--reason must say why'],
    [['--rule', 'negative', '--for', '2h', '--start', 'tomorrow', '--reason', 'x'], '--start tomorrow: expected a date and time'],
    [['--rule', 'negative', '--for', '1h', '--start', '2020-01-01T00:00Z', '--reason', 'x'], 'ends in the past'],
  ])('add %j is refused: %s', async (args, message) => {
    const dir = deployment();
    const r = await runCli(dir, ['silence', 'add', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
  });

  it('add needs --rule, --for and --reason', async () => {
    const dir = deployment();
    for (const missing of ['--rule', '--for', '--reason']) {
      const args = ['--rule', 'negative', '--for', '2h', '--reason', 'x'];
      const i = args.indexOf(missing);
      args.splice(i, 2);
      const r = await runCli(dir, ['silence', 'add', ...args]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`required option '${missing}`);
    }
  });

  it('add refuses when the config has errors, naming the file', async () => {
    const dir = deployment();
    writeFileSync(join(dir, 'rules', 'alerts.yaml'), `${RULES}    throtle: 1h\n`);
    const r = await runCli(dir, ['silence', 'add', '--rule', 'negative', '--for', '2h', '--reason', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rules/alerts.yaml:');
    expect(r.stderr).toContain('unknown key "throtle"');
  });

  it('remove: unknown or malformed ids exit 1; an ended silence is marked removed', async () => {
    const dir = deployment();
    expect((await runCli(dir, ['silence', 'remove', '3'])).stderr).toContain('no silence 3: there is no database');
    expect((await runCli(dir, ['silence', 'list'])).stdout).toBe('no silences (no database yet)');
    await runCli(dir, ['silence', 'add', '--rule', 'negative', '--for', '1h', '--reason', 'x']);
    const missing = await runCli(dir, ['silence', 'remove', '3']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no silence 3; see `earshot silence list --all`');
    const bad = await runCli(dir, ['silence', 'remove', 'abc']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('abc: a silence id is a whole number');

    const db = openDatabase(dbOf(dir));
    const past = addSilence(db, { rule: 'urgent', startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-01-01T01:00:00Z', reason: 'old' });
    db.close();
    const ended = await runCli(dir, ['silence', 'remove', String(past.id)]);
    expect(ended.code).toBe(0);
    expect(ended.stdout).toBe(`silence ${past.id} had already ended at 2026-01-01 01:00 UTC; marked removed`);
  });

  it('list flags a silence whose rule no longer exists', async () => {
    const dir = deployment();
    await runCli(dir, ['silence', 'add', '--rule', 'urgent', '--for', '1h', '--reason', 'x']);
    writeFileSync(join(dir, 'rules', 'alerts.yaml'), RULES.split('  - name: urgent')[0]!);
    const list = await runCli(dir, ['silence', 'list']);
    expect(list.stdout).toContain('[no such rule in the config: holds nothing back]');
    const json = await runCli(dir, ['silence', 'list', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ rule: 'urgent', unknownRule: true });
  });
});

describe('a silence in the pipeline', () => {
  let slack: SlackServer;
  beforeAll(async () => {
    slack = await startSlackServer();
  });
  afterAll(async () => {
    await slack.close();
  });

  it('a silenced rule records its alert but sends nothing; after removal alerts go out again', async () => {
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: acme\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never-polled.xml\n`,
      'rules/alerts.yaml': `rules:\n  - name: negative\n    match: { sentiment: negative }\n    notify: [{ slack: "#alerts" }]\n`,
      '.env': `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\n`,
    });
    const line = (id: string) =>
      `${JSON.stringify({ brand: 'acme', source: 'twitter', id, url: `https://x.com/u/status/${id}`, author: 'dana', title: '', text: `acme lost my files (${id}), worst support ever, I want a refund`, published: new Date().toISOString() })}\n`;
    expect((await runCli(dir, ['silence', 'add', '--rule', 'negative', '--for', '1h', '--reason', 'known outage'])).code).toBe(0);
    writeFileSync(join(dir, 'a.jsonl'), line('1'));
    const before = slack.messages.length;
    const silenced = await runCli(dir, ['import', join(dir, 'a.jsonl')]);
    expect(silenced.stderr).toBe('');
    expect(silenced.stdout).toContain('1 stored');
    expect(slack.messages.length).toBe(before);
    const db = openDatabase(dbOf(dir), { readonly: true });
    try {
      const rows = db.prepare('SELECT a.rule, d.status, d.hold_reason FROM alerts a JOIN deliveries d ON d.alert_id = a.id').all();
      expect(rows).toEqual([{ rule: 'negative', status: 'suppressed', hold_reason: expect.stringContaining('known outage') }]);
    } finally {
      db.close();
    }

    expect((await runCli(dir, ['silence', 'remove', '1'])).code).toBe(0);
    writeFileSync(join(dir, 'b.jsonl'), line('2'));
    await runCli(dir, ['import', join(dir, 'b.jsonl')]);
    expect(slack.messages.length).toBe(before + 1);
    expect(JSON.stringify(slack.messages.at(-1)!.blocks)).toContain('x.com/u/status/2');
  });

  it('does not log warnings about credentials it has no use for (a slack rule without a token)', async () => {
    const dir = deployment();
    const child = spawnCli(dir, ['silence', 'add', '--rule', '*', '--for', '1h', '--reason', 'maintenance']);
    const out = collect(child);
    expect(await out.exited, out.stderr()).toBe(0);
    expect(out.stdout()).toContain('silence 1 added');
    expect(out.stderr()).not.toContain('not configured');
    // The commands that send still say it.
    const poll = spawnCli(dir, ['poll', '--once', '--source', 'acme']);
    const polled = collect(poll);
    await polled.exited;
    expect(polled.stderr()).toContain('slack is not configured');
  }, 60_000);
});
