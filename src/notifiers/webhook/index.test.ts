import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookServer, type WebhookServer } from '../../../test/helpers/webhook-server.js';
import { notifierPlugin } from '../registry.js';
import { sampleAlert, sampleMention } from '../sample-alert.js';
import { createWebhookNotifier, validateWebhookTarget, webhookPayload, webhookSignature } from './index.js';

const SECRET = 'whsec-test-4f2a9c';
let hook: WebhookServer;

beforeAll(async () => {
  hook = await startWebhookServer({ status: 204 });
});
afterAll(async () => {
  await hook.close();
});

function notifier(env: Record<string, string> = { EARSHOT_WEBHOOK_SECRET: SECRET }, timeoutMs?: number) {
  return timeoutMs === undefined ? createWebhookNotifier(env) : createWebhookNotifier(env, { timeoutMs });
}

/** What a receiver does: HMAC-SHA256 over the raw bytes it received. */
function verify(body: string, header: string | string[] | undefined): boolean {
  return header === `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
}

describe('webhook notifier', () => {
  it('POSTs the alert as JSON, signed over the raw body, with the alert id', async () => {
    const alert = sampleAlert();
    const outcome = await notifier().send(hook.url('/hooks/earshot'), alert);
    expect(outcome).toEqual({ status: 'sent' });
    const req = hook.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/hooks/earshot');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-earshot-alert-id']).toBe('7');
    expect(verify(req.body, req.headers['x-earshot-signature'])).toBe(true);
    expect(req.body).toBe(JSON.stringify(webhookPayload(alert)));
    expect(req.json).toEqual({
      version: 1,
      event: 'alert',
      alert_id: 7,
      rule: 'negative-mention',
      rule_type: 'mention',
      brand: 'acme',
      brand_name: 'Acme Cloud',
      summary: 'Negative mention of Acme Cloud on reddit',
      details: [],
      total_mentions: 1,
      created_at: '2026-11-23T08:02:05.000Z',
      mentions: [
        {
          id: 1,
          source: 'reddit',
          source_label: 'Reddit',
          source_id: 't3_abc123',
          url: 'https://www.reddit.com/r/devops/comments/abc123/acme_cloud_outage/',
          author: 'u/sre_jane',
          reach: 12345,
          reach_unit: 'karma',
          title: 'Acme Cloud down again?',
          text: 'Third outage this month. We lost a day of data and support has not answered. Looking at alternatives.',
          language: 'en',
          published: '2026-11-23T08:00:00.000Z',
          sentiment: { label: 'negative', score: -0.72, reasons: ['outage', 'lost a day of data', 'not answered'] },
          urgency: { level: 'high', score: 0.81, reasons: ['outage', 'data loss', 'reach 12.3k'] },
        },
      ],
    });
  });

  it('signs exactly the bytes it sends: a tampered body or another secret does not verify', () => {
    const body = JSON.stringify(webhookPayload(sampleAlert()));
    const signature = webhookSignature(body, SECRET);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verify(body, signature)).toBe(true);
    expect(verify(body.replace('Acme', 'Acne'), signature)).toBe(false);
    expect(webhookSignature(body, 'another-secret')).not.toBe(signature);
  });

  it('carries hostile text verbatim as JSON data (the receiver decides how to show it), signed as sent', async () => {
    const hostile = '@everyone <@123> **bold** [x](https://evil.example) <script>alert(1)</script> "quotes" \\ back\u2028line';
    const alert = sampleAlert({ mentions: [sampleMention({ title: hostile, text: hostile, author: '<@&456> @here' })] });
    expect(await notifier().send(hook.url('/h'), alert)).toEqual({ status: 'sent' });
    const req = hook.requests.at(-1)!;
    expect(verify(req.body, req.headers['x-earshot-signature'])).toBe(true);
    const mention = (req.json as { mentions: Array<{ title: string; text: string; author: string }> }).mentions[0]!;
    expect(mention).toMatchObject({ title: hostile, text: hostile, author: '<@&456> @here' });
  });

  it('carries the analyzer flags of a mention when it has them', () => {
    const flagged = { ...sampleMention(), flags: { offensive: 0.91, hate: 0.04, irony: 0.12 } };
    const payload = webhookPayload(sampleAlert({ mentions: [flagged] }));
    expect(payload.mentions[0]!.flags).toEqual({ offensive: 0.91, hate: 0.04, irony: 0.12 });
    expect('flags' in webhookPayload(sampleAlert()).mentions[0]!).toBe(false);
  });

  it.each([
    [{ status: 200, body: '{"ok":true}' }, { status: 'sent' }],
    [{ status: 202, body: '' }, { status: 'sent' }],
    [{ status: 429, headers: { 'retry-after': '7' }, body: 'slow down' }, { status: 'retry', retryAfterMs: 7000 }],
    [{ status: 429, body: '' }, { status: 'retry' }],
    [{ status: 500, body: 'oops' }, { status: 'retry' }],
    [{ status: 503, headers: { 'retry-after': '2' }, body: '' }, { status: 'retry' }],
    [{ status: 408, body: '' }, { status: 'retry' }],
    [{ status: 400, body: 'bad' }, { status: 'failed' }],
    [{ status: 401, body: '' }, { status: 'failed' }],
    [{ status: 404, body: '' }, { status: 'failed' }],
    [{ status: 301, headers: { location: 'https://elsewhere.example/' }, body: '' }, { status: 'failed' }],
  ] as const)('answer %j -> %j', async (reply, expected) => {
    hook.queue(reply);
    const target = hook.url('/hooks/abc123secret456token789');
    const outcome = await notifier().send(target, sampleAlert());
    expect(outcome).toMatchObject(expected);
    if (outcome.status !== 'sent') {
      expect(outcome.error).toMatch(/^Webhook: /);
      expect(outcome.error).toContain('127.0.0.1');
      expect(outcome.error).not.toContain('abc123secret456token789');
    }
    if (outcome.status === 'retry' && !('retryAfterMs' in expected)) expect(outcome.retryAfterMs).toBeUndefined();
  });

  it('says what to do about a refused signature', async () => {
    hook.queue({ status: 403, body: 'bad signature' });
    const outcome = await notifier().send(hook.url('/h'), sampleAlert());
    expect(outcome).toEqual({ status: 'failed', error: expect.stringContaining('verifies X-Earshot-Signature with the same EARSHOT_WEBHOOK_SECRET') });
  });

  it('retries a dropped connection and a receiver that never answers', async () => {
    hook.queue('drop');
    expect(await notifier().send(hook.url('/h'), sampleAlert())).toMatchObject({ status: 'retry', error: expect.stringMatching(/^Webhook: request to 127\.0\.0\.1:\d+ failed: /) });
    hook.queue('hang');
    expect(await notifier(undefined, 200).send(hook.url('/h'), sampleAlert())).toEqual({ status: 'retry', error: expect.stringContaining('timed out') });
  });

  it('retries (never throws) when the daemon aborts the send', async () => {
    hook.queue('hang');
    const controller = new AbortController();
    const before = hook.requests.length;
    const sending = notifier().send(hook.url('/h'), sampleAlert(), { signal: controller.signal });
    await hook.waitForRequests(before + 1);
    controller.abort();
    expect(await sending).toMatchObject({ status: 'retry', error: expect.stringContaining('aborted') });
  });

  it('refuses to send unsigned, and refuses a target that is not a URL, without a request', async () => {
    const before = hook.requests.length;
    expect(await notifier({}).send(hook.url('/h'), sampleAlert())).toEqual({ status: 'failed', error: expect.stringContaining('EARSHOT_WEBHOOK_SECRET is not set') });
    expect(await notifier().send('not a url', sampleAlert())).toEqual({ status: 'failed', error: expect.stringContaining('not a URL') });
    expect(hook.requests.length).toBe(before);
  });

  it('loads through the registry and validates its targets', async () => {
    const plugin = notifierPlugin('webhook')!;
    expect(plugin.requiredEnv).toEqual(['EARSHOT_WEBHOOK_SECRET']);
    expect(await plugin.create({ EARSHOT_WEBHOOK_SECRET: SECRET }).send(hook.url('/via-registry'), sampleAlert())).toEqual({ status: 'sent' });
    expect(hook.requests.at(-1)!.path).toBe('/via-registry');
    expect(validateWebhookTarget('https://hooks.example.com/earshot')).toBeNull();
    expect(validateWebhookTarget('ftp://hooks.example.com/x')).toMatch(/must be an http\(s\) URL/);
    expect(validateWebhookTarget('#channel')).toMatch(/not a URL/);
  });

  it.each([
    ['https://hooks.example.com/earshot', false],
    ['https://hooks.example.com/earshot?token=abc', true],
    ['https://user:pw@hooks.example.com/earshot', true],
    ['https://hooks.example.com/services/T0001/B0002/XyZ123abcDEF456ghi', true],
    ['https://hooks.example.com/v1/alerts?team=pr', false],
  ])('secretInTarget(%s) = %s', (url, expected) => {
    expect(notifierPlugin('webhook')!.secretInTarget!(url)).toBe(expected);
  });
});
