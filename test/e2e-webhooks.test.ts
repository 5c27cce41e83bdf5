/**
 * End to end through the CLI for the webhook-style notifiers: a hostile negative mention in a
 * watched feed (`poll --once`) and an imported one (`import`) reach a signed webhook, a Discord
 * webhook and a Teams workflow, each exactly once, through the outbox. Targets are written
 * `${NAME}` and read from .env: the outbox and every output keep the name, never the URL. A
 * Discord 429 with `retry_after` is waited out within the one-shot command.
 */
import Database from 'better-sqlite3';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeployment, rssFeed, runCli } from './helpers/cli.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { startWebhookServer, type ReceivedWebhook, type WebhookServer } from './helpers/webhook-server.js';

const SECRET = 'e2e-webhook-secret-7d1c';
const DISCORD_TOKEN = 'dIsCoRd-ToKeN_e2e0123456789';
const TEAMS_SIG = 'TeAmS-sIg_e2e0123456789';
const HOSTILE = '@everyone <@123> **refund now** [click](https://evil.example) <script>alert(1)</script>';

let feed: FeedServer;
let hook: WebhookServer;
let discord: WebhookServer;
let teams: WebhookServer;
let dir: string;
let urls: string[];

beforeAll(async () => {
  [feed, hook, discord, teams] = await Promise.all([startFeedServer(), startWebhookServer({ status: 200, body: 'ok' }), startWebhookServer({ status: 204 }), startWebhookServer({ status: 202 })]);
  const discordUrl = discord.url(`/api/webhooks/123456789012345678/${DISCORD_TOKEN}`);
  const teamsUrl = teams.url(`/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=${TEAMS_SIG}`);
  const hookUrl = hook.url('/earshot/alerts');
  urls = [discordUrl, teamsUrl, hookUrl];
  feed.route('/feed.xml', {
    body: rssFeed([{ guid: 'n1', title: 'Acme Cloud outage', description: `Acme Cloud lost our data, worst service ever, we want a refund. ${HOSTILE}` }]),
    headers: { 'content-type': 'application/rss+xml' },
  });
  dir = makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feed.url('/feed.xml')}\n    alert_backfill: 1d\n`,
    'rules/alerts.yaml': `rules:
  - name: negative-mention
    match: { brand: acme, sentiment: negative }
    notify:
      - webhook: \${OPS_WEBHOOK_URL}
      - discord: \${DISCORD_WEBHOOK_URL}
      - teams: \${TEAMS_WEBHOOK_URL}
`,
    '.env': `EARSHOT_WEBHOOK_SECRET=${SECRET}\nOPS_WEBHOOK_URL=${hookUrl}\nDISCORD_WEBHOOK_URL=${discordUrl}\nTEAMS_WEBHOOK_URL=${teamsUrl}\n`,
  });
});
afterAll(async () => {
  await Promise.all([feed.close(), hook.close(), discord.close(), teams.close()]);
});

function accepted(server: WebhookServer): ReceivedWebhook[] {
  return server.requests.filter((r) => r.reply !== 'drop' && r.reply !== 'hang' && r.reply.status < 300);
}

function deliveries(): Array<{ notifier: string; target: string; status: string; attempts: number }> {
  const db = new Database(join(dir, 'data/earshot.db'), { readonly: true });
  try {
    return db.prepare('SELECT notifier, target, status, attempts FROM deliveries ORDER BY id').all() as Array<{ notifier: string; target: string; status: string; attempts: number }>;
  } finally {
    db.close();
  }
}

describe('webhook, Discord and Teams alerts end to end', () => {
  it('poll --once delivers a hostile mention once to each, signed, escaped, waiting out a Discord 429', async () => {
    discord.queue({ status: 429, headers: { 'content-type': 'application/json', 'retry-after': '1' }, body: '{"message": "You are being rate limited.", "retry_after": 0.6, "global": false}' });
    const r = await runCli(dir, ['poll', '--once']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);

    const [signed] = accepted(hook);
    expect(accepted(hook)).toHaveLength(1);
    expect(signed!.headers['x-earshot-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(signed!.body).digest('hex')}`);
    const payload = signed!.json as { rule: string; brand: string; mentions: Array<{ text: string; url: string; sentiment: { label: string } }> };
    expect(payload).toMatchObject({ rule: 'negative-mention', brand: 'acme', mentions: [{ url: 'https://news.example.com/n1', sentiment: { label: 'negative' } }] });
    expect(payload.mentions[0]!.text).toContain('@everyone <@123> **refund now**');

    expect(discord.requests).toHaveLength(2);
    expect(accepted(discord)).toHaveLength(1);
    const message = accepted(discord)[0]!.json as { allowed_mentions: unknown; embeds: Array<{ description: string }> };
    expect(message.allowed_mentions).toEqual({ parse: [] });
    expect(message.embeds[0]!.description).toContain('@\u200Beveryone \\<@123\\> \\*\\*refund now\\*\\*');
    expect(discord.requests[1]!.receivedAt.getTime() - discord.requests[0]!.receivedAt.getTime()).toBeGreaterThanOrEqual(550);

    expect(accepted(teams)).toHaveLength(1);
    expect(JSON.stringify(accepted(teams)[0]!.json)).toContain('"type":"TextRun","text":"Acme Cloud lost our data');

    expect(deliveries()).toEqual([
      { notifier: 'webhook', target: '${OPS_WEBHOOK_URL}', status: 'sent', attempts: 1 },
      { notifier: 'discord', target: '${DISCORD_WEBHOOK_URL}', status: 'sent', attempts: 2 },
      { notifier: 'teams', target: '${TEAMS_WEBHOOK_URL}', status: 'sent', attempts: 1 },
    ]);
  });

  it('a second poll sends nothing; import sends a new mention once to each', async () => {
    const before = [hook, discord, teams].map((s) => s.requests.length);
    expect((await runCli(dir, ['poll', '--once'])).code).toBe(0);
    expect([hook, discord, teams].map((s) => s.requests.length)).toEqual(before);

    const file = join(dir, 'in.jsonl');
    const line = { brand: 'acme', source: 'twitter', id: 't1', url: 'https://x.com/u/status/1', author: '@angry', title: '', text: 'acme cloud deleted my files, worst support ever, I want a refund', published: new Date().toISOString(), reach: 2000 };
    writeFileSync(file, `${JSON.stringify(line)}\n`);
    const r = await runCli(dir, ['import', file]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect([hook, discord, teams].map((s) => accepted(s).length)).toEqual([2, 2, 2]);
    const last = accepted(hook).at(-1)!.json as { mentions: Array<{ source: string; source_label: string; reach_unit: string; url: string }> };
    expect(last.mentions).toMatchObject([{ source: 'twitter', source_label: 'Twitter/X', reach_unit: 'followers', url: 'https://x.com/u/status/1' }]);
    expect(deliveries().every((d) => d.status === 'sent')).toBe(true);
  });

  it('never shows a webhook URL: not in status, not in the database', async () => {
    const status = await runCli(dir, ['status', '--json']);
    const db = new Database(join(dir, 'data/earshot.db'), { readonly: true });
    const dump = JSON.stringify(db.prepare('SELECT * FROM deliveries').all()) + JSON.stringify(db.prepare('SELECT * FROM alerts').all());
    db.close();
    for (const secret of [DISCORD_TOKEN, TEAMS_SIG, SECRET, ...urls]) {
      expect(status.stdout).not.toContain(secret);
      expect(dump).not.toContain(secret);
    }
  });

  it('an unset ${NAME} skips that destination (recorded with the variable to set) and the others still go out', async () => {
    const partial = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feed.url('/feed.xml')}\n    alert_backfill: 1d\n`,
      'rules/alerts.yaml': 'rules:\n  - name: negative-mention\n    match: { sentiment: negative }\n    notify:\n      - discord: ${DISCORD_WEBHOOK_URL}\n      - teams: ${TEAMS_WEBHOOK_URL}\n',
      '.env': `TEAMS_WEBHOOK_URL=${urls[1]}\n`,
    });
    const check = await runCli(partial, ['check']);
    expect(check.stdout).toContain('rules/alerts.yaml:5:18: warning: rules[0].notify[0].discord: ${DISCORD_WEBHOOK_URL}: DISCORD_WEBHOOK_URL is not set');
    const before = [discord.requests.length, teams.requests.length];
    expect((await runCli(partial, ['poll', '--once'])).code).toBe(0);
    expect([discord.requests.length, teams.requests.length]).toEqual([before[0], before[1]! + 1]);
    const db = new Database(join(partial, 'data/earshot.db'), { readonly: true });
    const rows = db.prepare('SELECT notifier, status, last_error AS error FROM deliveries ORDER BY id').all();
    db.close();
    expect(rows).toEqual([
      { notifier: 'discord', status: 'skipped', error: '${DISCORD_WEBHOOK_URL}: DISCORD_WEBHOOK_URL is not set: set it in .env or the environment' },
      { notifier: 'teams', status: 'sent', error: null },
    ]);
  });
});
