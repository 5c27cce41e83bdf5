import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR, fixtureResponse, startWebhookServer, type WebhookServer } from '../../../test/helpers/webhook-server.js';
import { notifierPlugin } from '../registry.js';
import { sampleAlert, sampleMention } from '../sample-alert.js';
import { createTeamsNotifier, renderTeamsMessage, validateTeamsTarget } from './index.js';

const SIG = 'Zx9-sIgNaTuRe_0123456789abcdef';
const HAVE_FIXTURES = existsSync(join(FIXTURES_DIR, 'teams'));
let teams: WebhookServer;
let target: string;

beforeAll(async () => {
  // Workflows (Power Automate) answer a webhook trigger with 202 Accepted and no body.
  teams = await startWebhookServer({ status: 202 });
  target = teams.url(`/workflows/0a1b2c/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SIG}`);
});
afterAll(async () => {
  await teams.close();
});

const notifier = (timeoutMs?: number) => (timeoutMs === undefined ? createTeamsNotifier({}) : createTeamsNotifier({}, { timeoutMs }));

type Element = Record<string, unknown>;

function card(message: ReturnType<typeof renderTeamsMessage>): Element {
  return message.attachments[0]!.content;
}

/** Every element of the card, depth first. */
function walk(element: unknown, out: Element[] = []): Element[] {
  if (Array.isArray(element)) for (const e of element) walk(e, out);
  else if (element && typeof element === 'object') {
    out.push(element as Element);
    for (const value of Object.values(element)) walk(value, out);
  }
  return out;
}

describe('teams render', () => {
  it('wraps one Adaptive Card 1.4 in a message, as Workflows and incoming webhooks expect', () => {
    const message = renderTeamsMessage(sampleAlert());
    expect(message.type).toBe('message');
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments[0]).toMatchObject({ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null });
    expect(card(message)).toMatchObject({ $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', msteams: { width: 'Full' } });
    const body = card(message).body as Element[];
    expect(body[0]).toEqual({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'Negative mention of Acme Cloud on reddit', weight: 'Bolder', size: 'Medium' }] });
    const container = body[1]!;
    expect(container).toMatchObject({ type: 'Container', separator: true });
    expect(container.items).toEqual([
      { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'Acme Cloud down again?', weight: 'Bolder' }] },
      { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'Third outage this month. We lost a day of data and support has not answered. Looking at alternatives.' }] },
      { type: 'RichTextBlock', spacing: 'None', inlines: [{ type: 'TextRun', text: 'Author: ', weight: 'Bolder' }, { type: 'TextRun', text: 'u/sre_jane (12.3k karma)' }] },
      { type: 'RichTextBlock', spacing: 'None', inlines: [{ type: 'TextRun', text: 'Source: ', weight: 'Bolder' }, { type: 'TextRun', text: 'Reddit post' }] },
      { type: 'RichTextBlock', spacing: 'None', inlines: [{ type: 'TextRun', text: 'Published: ', weight: 'Bolder' }, { type: 'TextRun', text: '2026-11-23 08:00 UTC' }] },
      { type: 'RichTextBlock', spacing: 'None', inlines: [{ type: 'TextRun', text: 'Sentiment: ', weight: 'Bolder' }, { type: 'TextRun', text: 'negative (-0.72): outage, lost a day of data, not answered' }] },
      { type: 'RichTextBlock', spacing: 'None', inlines: [{ type: 'TextRun', text: 'Urgency: ', weight: 'Bolder' }, { type: 'TextRun', text: 'high (0.81): outage, data loss, reach 12.3k' }] },
      { type: 'ActionSet', actions: [{ type: 'Action.OpenUrl', title: 'Open on Reddit', url: 'https://www.reddit.com/r/devops/comments/abc123/acme_cloud_outage/' }] },
    ]);
    expect(body.at(-1)).toEqual({ type: 'RichTextBlock', separator: true, inlines: [{ type: 'TextRun', text: 'rule: negative-mention · earshot', isSubtle: true }] });
  });

  it('puts mention text only in TextRuns (never Markdown TextBlocks or FactSets) and links only validated URLs', () => {
    const hostile = '**bold** [x](https://evil.example) <at>everyone</at> <script>alert(1)</script> @everyone';
    const alert = sampleAlert({ mentions: [sampleMention({ title: hostile, text: `${hostile} (body)`, author: hostile, url: 'javascript:alert(1)' })] });
    const elements = walk(card(renderTeamsMessage(alert)));
    expect(elements.filter((e) => e.type === 'TextBlock' || e.type === 'FactSet')).toEqual([]);
    const runs = elements.filter((e) => typeof e.text === 'string' && (e.text as string).includes('**bold**'));
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (const r of runs) expect(r.type).toBe('TextRun');
    expect(elements.filter((e) => e.type === 'Action.OpenUrl')).toEqual([]);
  });

  it('shows the first five mentions and counts the rest', () => {
    const mentions = Array.from({ length: 7 }, (_, i) => sampleMention({ id: i + 1 }));
    const body = card(renderTeamsMessage(sampleAlert({ mentions, totalMentions: 9 }))).body as Element[];
    expect(body.filter((e) => e.type === 'Container')).toHaveLength(5);
    expect(JSON.stringify(body)).toContain('…and 4 more mentions');
  });
});

describe('teams notifier against a local workflow endpoint', () => {
  it('POSTs the card and is sent on 202 Accepted', async () => {
    const alert = sampleAlert();
    expect(await notifier().send(target, alert)).toEqual({ status: 'sent' });
    const req = teams.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.query.get('sig')).toBe(SIG);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.json).toEqual(renderTeamsMessage(alert));
  });

  it.skipIf(!HAVE_FIXTURES)('accepts an incoming webhook\'s 200 "1"', async () => {
    teams.queue(fixtureResponse('teams', 'incoming_webhook_response__success_body_1__test_fixture'));
    expect(await notifier().send(target, sampleAlert())).toEqual({ status: 'sent' });
  });

  it.skipIf(!HAVE_FIXTURES)('reads a failure reported inside a 200 body: 429 is retried, 400 fails', async () => {
    teams.queue(fixtureResponse('teams', 'incoming_webhook_response__error_429_in_body_status_200__test_fixture'));
    expect(await notifier().send(target, sampleAlert())).toEqual({ status: 'retry', error: expect.stringMatching(/^Teams: rate limited by 127\.0\.0\.1:\d+ \(HTTP 429\)$/) });
    teams.queue(fixtureResponse('teams', 'incoming_webhook_response__error_400_in_body__test_fixture'));
    expect(await notifier().send(target, sampleAlert())).toEqual({ status: 'failed', error: expect.stringContaining('Teams refused the card itself') });
  });

  it.each([
    [{ status: 429, headers: { 'retry-after': '12' }, body: '' }, { status: 'retry', retryAfterMs: 12_000 }],
    [{ status: 500, body: '' }, { status: 'retry' }],
    [{ status: 401, body: '{"error":{"code":"DirectApiAuthorizationRequired"}}' }, { status: 'failed', error: expect.stringContaining("the URL's signature was refused") }],
    [{ status: 404, body: '' }, { status: 'failed', error: expect.stringContaining('no longer exists') }],
  ] as const)('answer %j -> %j, never naming the signature', async (reply, expected) => {
    teams.queue(reply);
    const outcome = await notifier().send(target, sampleAlert());
    expect(outcome).toMatchObject(expected);
    expect(JSON.stringify(outcome)).not.toContain(SIG);
  });

  it('retries a dropped connection and a timeout', async () => {
    teams.queue('drop', 'hang');
    expect(await notifier().send(target, sampleAlert())).toMatchObject({ status: 'retry' });
    expect(await notifier(200).send(target, sampleAlert())).toMatchObject({ status: 'retry', error: expect.stringContaining('timed out') });
  });

  it('validates targets and knows the signature is a secret', () => {
    expect(validateTeamsTarget(target)).toBeNull();
    expect(validateTeamsTarget('teams-channel')).toMatch(/not a URL/);
    const plugin = notifierPlugin('teams')!;
    expect(plugin.secretInTarget!(target)).toBe(true);
    expect(plugin.secretInTarget!('https://example.com/teams-relay')).toBe(false);
  });
});
