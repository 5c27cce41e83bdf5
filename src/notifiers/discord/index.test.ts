import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR, fixtureResponse, startWebhookServer, type WebhookServer } from '../../../test/helpers/webhook-server.js';
import { notifierPlugin } from '../registry.js';
import { sampleAlert, sampleMention } from '../sample-alert.js';
import { createDiscordNotifier, escapeDiscord, renderDiscordMessage, validateDiscordTarget, type DiscordMessage } from './index.js';

const TOKEN = 'aBcD-efGh_1234567890ijklMNOP';
const HAVE_FIXTURES = existsSync(join(FIXTURES_DIR, 'discord'));
let discord: WebhookServer;
let target: string;

beforeAll(async () => {
  // Discord's answer to execute-webhook without ?wait=true: 204 No Content.
  discord = await startWebhookServer({ status: 204 });
  target = discord.url(`/api/webhooks/123456789012345678/${TOKEN}`);
});
afterAll(async () => {
  await discord.close();
});

const notifier = (timeoutMs?: number) => (timeoutMs === undefined ? createDiscordNotifier({}) : createDiscordNotifier({}, { timeoutMs }));

describe('discord render', () => {
  it('renders content and one embed per mention, and never allows a ping', () => {
    const message = renderDiscordMessage(sampleAlert());
    expect(message).toEqual({
      content: '**Negative mention of Acme Cloud on reddit**',
      embeds: [
        {
          title: 'Acme Cloud down again?',
          url: 'https://www.reddit.com/r/devops/comments/abc123/acme_cloud_outage/',
          description: 'Third outage this month. We lost a day of data and support has not answered. Looking at alternatives.',
          color: 0xd93f0b,
          fields: [
            { name: 'Author', value: 'u/sre\\_jane \\(12.3k karma\\)', inline: true },
            { name: 'Source', value: 'Reddit post', inline: true },
            { name: 'Sentiment', value: 'negative \\(\\-0.72\\)\\: outage, lost a day of data, not answered', inline: true },
            { name: 'Urgency', value: 'high \\(0.81\\)\\: outage, data loss, reach 12.3k', inline: true },
          ],
          footer: { text: 'rule: negative-mention · earshot' },
          timestamp: '2026-11-23T08:00:00.000Z',
        },
      ],
      allowed_mentions: { parse: [] },
    });
  });

  it.each([
    ['@everyone look', '@\u200Beveryone look'],
    ['@HERE now', '@\u200BHERE now'],
    ['hi <@123> and <@&456> in <#789>', 'hi \\<@123\\> and \\<@&456\\> in \\<\\#789\\>'],
    ['**bold** __under__ ~~gone~~ `code` ||spoiler||', '\\*\\*bold\\*\\* \\_\\_under\\_\\_ \\~\\~gone\\~\\~ \\`code\\` \\|\\|spoiler\\|\\|'],
    ['[click](https://evil.example)', '\\[click\\]\\(https\\://evil.example\\)'],
    ['# Heading\n> quote\n- item\n1. first', '\\# Heading\n\\> quote\n\\- item\n1\\. first'],
    ['back\\slash', 'back\\\\slash'],
    ['bell\u0007 esc\u001b[31m', 'bell esc\\[31m'],
    ['<script>alert(1)</script>', '\\<script\\>alert\\(1\\)\\</script\\>'],
  ])('escapeDiscord(%j)', (input, expected) => {
    expect(escapeDiscord(input)).toBe(expected);
  });

  it('escapes every piece of hostile mention text in content, titles, descriptions and fields', () => {
    const hostile = '@everyone <@123> **bold** [x](https://evil.example) <script>';
    const alert = sampleAlert({ summary: `Negative mention ${hostile}`, mentions: [sampleMention({ title: hostile, text: hostile, author: '@here <@&9>' })] });
    const message = renderDiscordMessage(alert);
    const texts = [message.content, ...message.embeds.flatMap((e) => [e.title, e.description ?? '', ...e.fields.map((f) => f.value)])];
    for (const text of texts) {
      expect(text).not.toMatch(/@(everyone|here)/i);
      expect(text).not.toMatch(/(?<!\\)<[@#]/);
      expect(text).not.toMatch(/(?<!\\)\*\*bold/);
      expect(text).not.toMatch(/(?<!\\)\[x(?<!\\)\]/);
    }
    expect(message.allowed_mentions).toEqual({ parse: [] });
  });

  it('stays within Discord limits for ten long mentions, and counts the ones not shown', () => {
    const long = '*'.repeat(5000);
    const mentions = Array.from({ length: 10 }, (_, i) => sampleMention({ id: i + 1, title: `${long} ${i}`, text: long, author: long }));
    const message = renderDiscordMessage(sampleAlert({ mentions, totalMentions: 12 }));
    expect(message.embeds).toHaveLength(5);
    expect(message.content).toContain('…and 7 more mentions');
    expect(Array.from(message.content).length).toBeLessThanOrEqual(2000);
    let total = 0;
    for (const embed of message.embeds) {
      expect(Array.from(embed.title).length).toBeLessThanOrEqual(256);
      expect(Array.from(embed.description ?? '').length).toBeLessThanOrEqual(4096);
      for (const f of embed.fields) expect(Array.from(f.value).length).toBeLessThanOrEqual(1024);
      // No escape cut in half: an odd run of backslashes would escape the ellipsis.
      expect(embed.description).not.toMatch(/(?<!\\)(\\\\)*\\…$/);
      total += [embed.title, embed.description ?? '', embed.footer.text, ...embed.fields.flatMap((f) => [f.name, f.value])].reduce((n, t) => n + Array.from(t).length, 0);
    }
    expect(total).toBeLessThanOrEqual(6000);
  });

  it('shows a counting alert (no mentions) as its details', () => {
    const message = renderDiscordMessage(sampleAlert({ ruleType: 'spike', summary: 'Spike: 64 mentions of Acme Cloud in 1h', mentions: [], totalMentions: 64, details: ['baseline 12/h', 'window 1h'] }));
    expect(message.content).toBe('**Spike\\: 64 mentions of Acme Cloud in 1h**');
    expect(message.embeds).toEqual([expect.objectContaining({ title: 'Spike\\: 64 mentions of Acme Cloud in 1h', description: 'baseline 12/h\nwindow 1h' })]);
  });
});

describe('discord notifier against a local Discord webhook endpoint', () => {
  it('POSTs the rendered message with wait=true and is sent on 204', async () => {
    const alert = sampleAlert();
    expect(await notifier().send(target, alert)).toEqual({ status: 'sent' });
    const req = discord.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/api/webhooks/123456789012345678/${TOKEN}?wait=true`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.json).toEqual(renderDiscordMessage(alert));
    expect((req.json as DiscordMessage).allowed_mentions).toEqual({ parse: [] });
  });

  it('keeps the query the URL came with (a thread) and adds wait=true', async () => {
    await notifier().send(`${target}?thread_id=42`, sampleAlert());
    const req = discord.requests.at(-1)!;
    expect(req.query.get('thread_id')).toBe('42');
    expect(req.query.get('wait')).toBe('true');
  });

  it.skipIf(!HAVE_FIXTURES)('takes the message id of the recorded 200 answer as the ref', async () => {
    discord.queue(fixtureResponse('discord', 'execute_webhook__200_wait_true_message__recorded'));
    expect(await notifier().send(target, sampleAlert())).toEqual({ status: 'sent', ref: '123456789012345678' });
  });

  it.skipIf(!HAVE_FIXTURES).each([
    ['rate_limited__429_user_scope__docs_example', 64_570],
    ['rate_limited__429_global__docs_example', 64_570],
    ['rate_limited__429_shared_resource__docs_example', 1_336_570],
  ])('honours retry_after of %s (JSON seconds, before the rounded Retry-After header)', async (name, ms) => {
    discord.queue(fixtureResponse('discord', name));
    expect(await notifier().send(target, sampleAlert())).toEqual({ status: 'retry', retryAfterMs: ms, error: expect.stringMatching(/^Discord: rate limited by 127\.0\.0\.1:\d+ \(HTTP 429\)$/) });
  });

  it('falls back to the Retry-After header when the 429 body has no retry_after', async () => {
    discord.queue({ status: 429, headers: { 'retry-after': '3' }, body: '<html>slow down</html>' });
    expect(await notifier().send(target, sampleAlert())).toMatchObject({ status: 'retry', retryAfterMs: 3000 });
  });

  it.skipIf(!HAVE_FIXTURES).each([
    ['error__50014_invalid_authentication_token__docs_example', 401, /Invalid authentication token" \(code 50014\); the webhook's token was refused: create the webhook again/],
    ['invalid_form_body__400_50035_nested__sdk_fixture', 400, /Invalid Form Body" \(code 50035\); Discord refused the message itself/],
    ['execute_webhook__413_request_entity_too_large__test_fixture', 413, /Request entity too large" \(code 40005\); the message was too large/],
  ])('fails (no retry) on %s with what to do', async (name, status, message) => {
    discord.queue({ ...fixtureResponse('discord', name), status });
    const outcome = await notifier().send(target, sampleAlert());
    expect(outcome).toEqual({ status: 'failed', error: expect.stringMatching(message) });
    expect(JSON.stringify(outcome)).not.toContain(TOKEN);
  });

  it('fails on 404 (deleted webhook), retries 5xx, a dropped connection and a timeout, never naming the token', async () => {
    discord.queue({ status: 404, body: '{"message": "Unknown Webhook", "code": 10015}' }, { status: 502, body: 'Bad Gateway' }, 'drop', 'hang');
    const outcomes = [await notifier().send(target, sampleAlert()), await notifier().send(target, sampleAlert()), await notifier().send(target, sampleAlert()), await notifier(200).send(target, sampleAlert())];
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'retry', 'retry', 'retry']);
    expect(outcomes[0]).toMatchObject({ error: expect.stringContaining('"Unknown Webhook" (code 10015); the webhook was deleted') });
    for (const outcome of outcomes) expect(JSON.stringify(outcome)).not.toContain(TOKEN);
  });

  it('validates targets without sending', async () => {
    const before = discord.requests.length;
    expect(await notifier().send('https://discord.com/channels/1/2', sampleAlert())).toEqual({ status: 'failed', error: expect.stringContaining('not a Discord webhook URL') });
    expect(discord.requests.length).toBe(before);
    expect(validateDiscordTarget('https://discord.com/api/webhooks/123456789012345678/abc-DEF_123')).toBeNull();
    expect(validateDiscordTarget('https://discord.com/api/v10/webhooks/123/abc')).toBeNull();
    expect(validateDiscordTarget('#general')).toMatch(/not a URL/);
    const plugin = notifierPlugin('discord')!;
    expect(plugin.secretInTarget!('https://discord.com/api/webhooks/123/abc')).toBe(true);
    expect(plugin.requiredEnv).toEqual([]);
  });

  it('verifies a webhook for `check --online` with a GET that posts nothing, naming the webhook id, never its token', async () => {
    const hookInfo = { type: 1, id: '123456789012345678', name: 'earshot alerts', channel_id: '849615269706203171', guild_id: '1', application_id: null, token: 'x' };
    discord.queue({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(hookInfo) }, { status: 404, body: '{"message": "Unknown Webhook", "code": 10015}' }, 'drop');
    const before = discord.requests.length;
    const results = await notifier(2_000).verify!([target, target, target]);
    expect(discord.requests.slice(before).map((r) => [r.method, r.path])).toEqual([
      ['GET', `/api/webhooks/123456789012345678/${TOKEN}`],
      ['GET', `/api/webhooks/123456789012345678/${TOKEN}`],
      ['GET', `/api/webhooks/123456789012345678/${TOKEN}`],
    ]);
    expect(results).toEqual([
      { subject: 'discord webhook 123456789012345678', status: 'ok', message: 'the webhook "earshot alerts" posts to channel 849615269706203171' },
      { subject: 'discord webhook 123456789012345678', status: 'failed', message: expect.stringContaining('"Unknown Webhook" (code 10015); the webhook was deleted') },
      { subject: 'discord webhook 123456789012345678', status: 'failed', message: expect.stringMatching(/^could not ask 127\.0\.0\.1:\d+: /) },
    ]);
    expect(JSON.stringify(results)).not.toContain(TOKEN);
    expect(await notifier().verify!(['#general'])).toEqual([{ subject: 'discord webhook', status: 'failed', message: expect.stringContaining('not a URL') }]);
  });
});
