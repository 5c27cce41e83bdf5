import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackServer, type ReceivedSlackMessage, type SlackServer } from '../../../test/helpers/slack-server.js';
import type { DeliveryOutcome } from '../types.js';
import { createSlackNotifier, slackNotifier, validateSlackTarget } from './index.js';
import { renderSlackMessage } from './render.js';
import { sampleAlert, sampleMention } from '../sample-alert.js';

let slack: SlackServer;

beforeAll(async () => {
  slack = await startSlackServer();
});

afterAll(async () => {
  await slack.close();
});

function notifier(overrides: Record<string, string> = {}, timeoutMs?: number) {
  const env = { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.url, ...overrides };
  return timeoutMs === undefined ? slackNotifier.create(env) : createSlackNotifier(env, { timeoutMs });
}

function lastMessage(): ReceivedSlackMessage {
  const message = slack.messages.at(-1);
  if (!message) throw new Error('no message received');
  return message;
}

function expectNoSecret(outcome: DeliveryOutcome, secret: string): void {
  if (outcome.status !== 'sent') expect(outcome.error).not.toContain(secret);
}

describe('slack notifier against the fake Slack API', () => {
  it('posts the rendered alert and returns the channel id and ts as ref', async () => {
    const before = slack.messages.length;
    const alert = sampleAlert();
    const outcome = await notifier().send('#brand-alerts', alert);

    expect(slack.messages).toHaveLength(before + 1);
    const message = lastMessage();
    // The id Slack answered for '#brand-alerts': chat.update needs it, not the name.
    expect(outcome).toEqual({ status: 'sent', ref: `${slack.channelId('#brand-alerts')}:${message.ts}` });
    expect(message.ts).toMatch(/^\d{10}\.\d{6}$/);
    const expected = renderSlackMessage(alert);
    expect(message.channel).toBe('#brand-alerts');
    expect(message.text).toBe(expected.text);
    expect(message.blocks).toEqual(expected.blocks);
    expect(message.thread_ts).toBeUndefined();
    // Every parameter, exactly: the SDK form-encodes (booleans become strings, blocks JSON), and
    // these flags switch off every kind of parsing and unfurling.
    expect(message.raw).toEqual({
      channel: '#brand-alerts',
      text: 'Negative mention of Acme Cloud on reddit (rule: negative-mention)',
      blocks: expected.blocks,
      mrkdwn: 'false',
      unfurl_links: 'false',
      unfurl_media: 'false',
      link_names: 'false',
      parse: 'none',
    });
    expect(message.blocks?.[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Negative mention of Acme Cloud on reddit', emoji: false },
    });
  });

  it.each([
    ['a channel:ts ref', 'C0123ABCD:1503435956.000247'],
    ['a ts ref stored by an older earshot', '1503435956.000247'],
  ])('replies in a thread when given %s', async (_name, threadRef) => {
    const outcome = await notifier().send('C0123ABCD', sampleAlert(), { threadRef });
    expect(outcome).toEqual({ status: 'sent', ref: `C0123ABCD:${lastMessage().ts}` });
    expect(lastMessage().thread_ts).toBe('1503435956.000247');
    expect(lastMessage().channel).toBe('C0123ABCD');
  });

  it.each([
    ['SLACK_SIGNING_SECRET', { SLACK_SIGNING_SECRET: 'a-signing-secret' }, true],
    ['SLACK_APP_TOKEN', { SLACK_APP_TOKEN: 'xapp-1-abc' }, true],
    ['neither', {}, false],
    ['blank values', { SLACK_SIGNING_SECRET: ' ', SLACK_APP_TOKEN: '' }, false],
  ])('carries the triage buttons with %s set', async (_name, env, interactive) => {
    const alert = sampleAlert();
    const outcome = await notifier(env).send('#brand-alerts', alert);
    expect(outcome.status).toBe('sent');
    expect(lastMessage().blocks).toEqual(renderSlackMessage(alert, { interactive }).blocks);
    expect(JSON.stringify(lastMessage().blocks).includes('"action_id":"earshot_handle"')).toBe(interactive);
  });

  it('gives monotonically increasing refs', async () => {
    const n = notifier();
    const refs: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const outcome = await n.send('#brand-alerts', sampleAlert());
      if (outcome.status === 'sent' && outcome.ref) refs.push(outcome.ref);
    }
    expect(refs).toHaveLength(3);
    const ts = refs.map((ref) => Number(ref.split(':')[1]));
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
    expect(new Set(refs).size).toBe(3);
  });

  it('maps a 429 to retry with retryAfterMs from Retry-After', async () => {
    const before = slack.messages.length;
    slack.failNext(1, 'ratelimited', { retryAfter: 7 });
    const outcome = await notifier().send('#brand-alerts', sampleAlert());
    expect(outcome).toEqual({ status: 'retry', error: 'Slack: rate limited for #brand-alerts', retryAfterMs: 7000 });
    expect(slack.messages).toHaveLength(before);
    // Exactly one request: the SDK did not retry on its own.
    expect(slack.requests.at(-1)).toMatchObject({ method: 'chat.postMessage', status: 429 });
  });

  it('does not retry by itself: one request per send', async () => {
    const before = slack.requests.length;
    slack.failNext(1, 'server_error');
    await notifier().send('#brand-alerts', sampleAlert());
    expect(slack.requests.length - before).toBe(1);
  });

  it.each([
    ['server_error (500 HTML page)', 'server_error' as const, /HTTP 500/],
    ['502 from a proxy', { status: 502 }, /HTTP 502/],
    ['200 with an HTML page', { status: 200 }, /non-JSON page/],
    ['a dropped connection', 'drop' as const, /request failed/],
    ['ok:false internal_error', { error: 'internal_error' }, /internal_error/],
    ['ok:false ratelimited', { error: 'ratelimited' }, /ratelimited/],
    ['ok:false service_unavailable', { error: 'service_unavailable' }, /service_unavailable/],
  ])('maps %s to retry', async (_name, fault, message) => {
    slack.failNext(1, fault);
    const outcome = await notifier().send('#brand-alerts', sampleAlert());
    expect(outcome.status).toBe('retry');
    if (outcome.status === 'retry') {
      expect(outcome.error).toMatch(message);
      expect(outcome.retryAfterMs).toBeUndefined();
    }
    expectNoSecret(outcome, slack.token);
  });

  it('maps a request that never answers to retry after the timeout', async () => {
    slack.failNext(1, 'hang');
    const started = Date.now();
    const outcome = await notifier({}, 300).send('#brand-alerts', sampleAlert());
    expect(outcome).toEqual({ status: 'retry', error: 'Slack: request failed for #brand-alerts: timed out' });
    expect(Date.now() - started).toBeLessThan(5000); // the 300 ms timeout, not the hang (generous for a loaded machine)
  });

  it('returns retry promptly when the caller aborts', async () => {
    slack.failNext(1, 'hang');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const outcome = await notifier().send('#brand-alerts', sampleAlert(), { signal: controller.signal });
    expect(outcome).toEqual({ status: 'retry', error: 'Slack: sending to #brand-alerts was aborted' });
  });

  it('maps a 404 (wrong SLACK_API_URL) to failed with a hint', async () => {
    const outcome = await notifier({ SLACK_API_URL: slack.url.replace('/api/', '/wrong/') }).send('#brand-alerts', sampleAlert());
    expect(outcome).toEqual({
      status: 'failed',
      error: 'Slack: HTTP 404 from the API for #brand-alerts: check SLACK_API_URL (it should end in /api/)',
    });
  });

  it.each([
    ['channel_not_found', 'Slack: channel_not_found for #brand-alerts: the channel does not exist or the bot cannot see it: invite the bot to #brand-alerts or fix notify.slack in rules/*.yaml'],
    ['not_in_channel', 'Slack: not_in_channel for #brand-alerts: the bot is not a member: invite the bot to #brand-alerts (/invite @your-bot) or fix notify.slack in rules/*.yaml'],
    ['is_archived', 'Slack: is_archived for #brand-alerts: the channel is archived: unarchive #brand-alerts or change notify.slack in rules/*.yaml'],
    ['msg_too_long', 'Slack: msg_too_long for #brand-alerts: Slack rejected the message itself: this is a bug in earshot, please report it'],
    ['missing_scope', 'Slack: missing_scope for #brand-alerts: the bot token lacks the chat:write scope: add it in the Slack app settings and reinstall the app'],
  ])('maps ok:false %s to failed with an actionable message', async (error, expected) => {
    slack.failNext(1, { error });
    const outcome = await notifier().send('#brand-alerts', sampleAlert());
    expect(outcome).toEqual({ status: 'failed', error: expected });
  });

  it('maps a wrong token to failed without revealing the token', async () => {
    const secret = 'xoxb-111-222-wrongSecretValue';
    const outcome = await notifier({ SLACK_BOT_TOKEN: secret }).send('#brand-alerts', sampleAlert());
    expect(outcome).toEqual({
      status: 'failed',
      error: 'Slack: invalid_auth for #brand-alerts: the token was rejected: set a valid bot token (xoxb-...) in SLACK_BOT_TOKEN in .env',
    });
    expectNoSecret(outcome, secret);
  });

  it('fails without a request when the token is missing or the target is invalid', async () => {
    const before = slack.requests.length;
    expect(await notifier({ SLACK_BOT_TOKEN: '' }).send('#brand-alerts', sampleAlert())).toEqual({
      status: 'failed',
      error: 'Slack: SLACK_BOT_TOKEN is not set: set a valid bot token (xoxb-...) in SLACK_BOT_TOKEN in .env',
    });
    const invalid = await notifier().send('brand alerts', sampleAlert());
    expect(invalid.status).toBe('failed');
    expect(slack.requests.length).toBe(before);
  });

  it('maps a closed port to retry', async () => {
    const closed = await startSlackServer();
    const url = closed.url;
    await closed.close();
    const outcome = await notifier({ SLACK_API_URL: url }).send('#brand-alerts', sampleAlert());
    expect(outcome.status).toBe('retry');
    if (outcome.status === 'retry') expect(outcome.error).toMatch(/ECONNREFUSED/);
  });
});

describe('slack notifier: hostile mention content arrives literally', () => {
  const hostile: [string, string][] = [
    ['channel ping', '<!channel>'],
    ['here ping', '<!here> look'],
    ['everyone ping', 'hey <!everyone>'],
    ['user mention', '<@U123> you'],
    ['channel link', 'see <#C123>'],
    ['subteam', '<!subteam^S123>'],
    ['disguised link', '<https://evil.example|click me>'],
    ['bold', '*bold*'],
    ['italic', '_it_'],
    ['strike', '~s~'],
    ['code', '`code`'],
    ['code block', '```rm -rf```'],
    ['quote', '> quoted'],
    ['literal entity', 'Q&amp;A &lt;b&gt;'],
    ['emoji', 'we are :fire: 🔥 :tada:'],
    ['RTL text', 'مرحبا Acme Cloud \u202Egnp.exe'],
    ['very long text', `<!channel> ${'a'.repeat(3000)}`],
  ];

  it.each(hostile)('%s', async (_name, input) => {
    const alert = sampleAlert({
      summary: `Negative mention ${input}`,
      mentions: [sampleMention({ title: input, text: `before ${input} after`, author: input })],
    });
    const outcome = await notifier().send('#brand-alerts', alert);
    expect(outcome.status).toBe('sent');
    const message = lastMessage();

    const texts = collectTextObjects(message.blocks ?? []);
    for (const object of texts.filter((t) => t.type === 'mrkdwn')) {
      // The only control sequence allowed is the link we build ourselves.
      const withoutOurLink = object.text.replace(/^<https:\/\/[^\s<>|]+\|Open on [a-z]+>$/, '');
      expect(withoutOurLink).not.toMatch(/[<>]/);
    }
    for (const object of texts.filter((t) => t.type === 'plain_text')) expect(object.emoji).toBe(false);

    expect(message.text).not.toMatch(/<[!@#]|<http/);
    expect(message.raw.parse).toBe('none');
    expect(message.raw.link_names).toBe('false');

    const plainTexts = texts.filter((t) => t.type === 'plain_text').map((t) => t.text);
    const body = plainTexts.find((t) => t.includes('\nbefore '));
    expect(body).toBeDefined();
    if (input.length < 400) {
      expect(body).toBe(`${input.replace(/\s+/g, ' ').trim()}\nbefore ${input} after`);
      expect(plainTexts).toContain(`Author: ${input.replace(/\s+/g, ' ').trim()} (12.3k karma)`);
    } else {
      expect(body?.startsWith(`${input.slice(0, 150)}`)).toBe(true);
    }
  });
});

describe('slack notifier: verify() checks the triage buttons’ settings too', () => {
  it('accepts an app-level token (Socket Mode can connect) and says the signing secret needs a click', async () => {
    const n = notifier({ SLACK_APP_TOKEN: slack.appToken, SLACK_SIGNING_SECRET: 'a-signing-secret' });
    const results = await n.verify!([]);
    expect(results).toEqual([
      expect.objectContaining({ subject: 'slack token', status: 'ok' }),
      { subject: 'slack app token', status: 'ok', message: 'accepted (apps.connections.open): Socket Mode can connect' },
      {
        subject: 'slack signing secret',
        status: 'unchecked',
        message: 'only a request from Slack can prove it: click a button on an alert (a wrong secret is answered 401 and counted in earshot_slack_requests_refused_total{reason="mismatch"})',
      },
    ]);
    // The URL it got is never used: no connection was opened.
    expect(slack.socketMode.accepted).toBe(0);
  });

  it.each([
    ['a bot token', () => slack.token, 'apps.connections.open: not_allowed_token_type: SLACK_APP_TOKEN is not an app-level token'],
    ['a wrong token', () => 'xapp-1-wrong', 'apps.connections.open: invalid_auth: SLACK_APP_TOKEN was refused'],
  ])('fails %s in SLACK_APP_TOKEN, saying what to do, without the token', async (_name, token, message) => {
    const results = await notifier({ SLACK_APP_TOKEN: token() }).verify!([]);
    const app = results.find((r) => r.subject === 'slack app token')!;
    expect(app.status).toBe('failed');
    expect(app.message).toContain(message);
    expect(app.message).not.toContain(token());
  });

  it('reports nothing about buttons when neither setting is there', async () => {
    const results = await notifier().verify!([]);
    expect(results.map((r) => r.subject)).toEqual(['slack token']);
  });
});

describe('validateSlackTarget', () => {
  it.each(['#brand-alerts', '#a', '#team_pr-2', `#${'x'.repeat(80)}`, 'C0123ABCD', 'G012AB', 'D0ABCDEF'])('accepts %s', (target) => {
    expect(validateSlackTarget(target)).toBeNull();
  });

  it.each([
    ['brand-alerts', 'Slack channel "brand-alerts" needs a leading #: write "#brand-alerts"'],
    ['#Brand-Alerts', null],
    ['#brand alerts', null],
    [`#${'x'.repeat(81)}`, null],
    ['#', null],
    ['c0123', null],
    ['U0123ABCD', null],
    ['', null],
  ])('rejects %j', (target, message) => {
    const problem = validateSlackTarget(target);
    expect(problem).not.toBeNull();
    if (message) expect(problem).toBe(message);
  });
});

interface TextObject {
  type: string;
  text: string;
  emoji?: boolean;
}

/** Every Block Kit text object anywhere in the payload. */
function collectTextObjects(value: unknown, out: TextObject[] = []): TextObject[] {
  if (Array.isArray(value)) {
    for (const item of value) collectTextObjects(item, out);
    return out;
  }
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ((record.type === 'plain_text' || record.type === 'mrkdwn') && typeof record.text === 'string') {
      out.push(record as unknown as TextObject);
    }
    for (const child of Object.values(record)) collectTextObjects(child, out);
  }
  return out;
}
