/**
 * Slack buttons end to end, in process: a real SQLite file, the real Slack notifier posting a
 * mention alert to the local fake Slack (test/helpers/slack-server.ts), the real ops HTTP server
 * serving POST /slack/actions, signed requests built from the recorded interaction payloads in
 * ../shared/fixtures/slack-interactivity (a hand-written equivalent when absent), and Socket Mode
 * against the fake's WebSocket endpoint. What is asserted: the mention's status and history
 * (actor = the Slack user), and the exact chat.update Slack receives.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BrandConfig, Config } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { renderSlackMessage } from '../src/notifiers/slack/render.js';
import { slackSignature } from '../src/notifiers/slack/signature.js';
import type { SlackTriageView } from '../src/notifiers/slack/triage-blocks.js';
import { startOpsServer, type OpsServer } from '../src/ops/server.js';
import { toAlertContent } from '../src/pipeline/alert-content.js';
import { Deliverer } from '../src/pipeline/deliver.js';
import { stmt, type Db } from '../src/store/sqlite/db.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/store.js';
import { insertMention } from '../src/store/sqlite/mentions.js';
import { getAlert, insertAlert } from '../src/store/sqlite/outbox.js';
import { triageStore } from '../src/store/sqlite/triage.js';
import type { Actor } from '../src/store/triage-types.js';
import { applyAction } from '../src/triage/index.js';
import { startSlackActions, type SlackActions } from '../src/web/slack-actions.js';
import { SLACK_INTERACTIVITY_FIXTURES_DIR, startSlackServer, type SlackServer } from './helpers/slack-server.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
// 10:42:00 UTC: the clock of every request and every triage action here.
const NOW = new Date('2026-11-23T10:42:00.000Z');
const NOW_TOKEN = '<!date^1795430520^{time}|10:42 UTC>';
const haveFixtures = existsSync(SLACK_INTERACTIVITY_FIXTURES_DIR);

/** The recorded button click (or, without ../shared, a hand-written one of the same shape). */
function recordedClick(): Record<string, unknown> {
  if (haveFixtures) return JSON.parse(readFileSync(path.join(SLACK_INTERACTIVITY_FIXTURES_DIR, 'block_actions__button__recorded.json'), 'utf8')) as Record<string, unknown>;
  return {
    type: 'block_actions',
    user: { id: 'U01NK1K9L68', username: 'opsdroid.test', name: 'opsdroid.test', team_id: 'T01ND2P8N91' },
    container: { type: 'message', message_ts: '1613575038.002800', channel_id: 'C01N9PM1D53', is_ephemeral: false },
    response_url: 'https://hooks.slack.com/actions/T01ND2P8N91/1/x',
    actions: [{ action_id: 'button-action', block_id: 'Hrn', value: 'click_me_123', type: 'button', action_ts: '1613575488.406573' }],
  };
}

interface Fixture {
  dir: string;
  db: Db;
  store: SqliteStore;
  slack: SlackServer;
  mentionId: number;
  alertId: number;
  /** Where the alert was posted. */
  channel: string;
  ts: string;
  actions: SlackActions;
  server: OpsServer | null;
  clock: { now: Date };
}

let f: Fixture | undefined;

afterEach(async () => {
  if (!f) return;
  await f.actions.stop();
  await f.server?.close();
  await f.slack.close();
  await f.store.close();
  rmSync(f.dir, { recursive: true, force: true });
  f = undefined;
});

function config(env: Record<string, string>, dir: string): Config {
  return { dir, brands: new Map([['acme', { name: 'Acme Cloud' } as BrandConfig]]), sources: [], rules: [], digests: [], budgets: [], env, files: [] };
}

/** A stored negative mention, its alert delivered by the real notifier to #brand-alerts (and optionally a second channel). */
async function setUp(options: { socketMode?: boolean; http?: boolean; targets?: string[] } = {}): Promise<Fixture> {
  const dir = mkdtempSync(path.join(tmpdir(), 'earshot-slack-actions-'));
  const store = openSqliteStore(path.join(dir, 'earshot.db'));
  const db = store.db;
  const slack = await startSlackServer();
  const env: Record<string, string> = { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.url };
  if (options.http !== false) env.SLACK_SIGNING_SECRET = SECRET;
  if (options.socketMode) env.SLACK_APP_TOKEN = slack.appToken;
  const mentionId = insertMention(db, {
    brand: 'acme',
    source: 'reddit',
    sourceKey: 'acme/reddit',
    sourceId: 't3_abc123',
    url: 'https://www.reddit.com/r/devops/comments/abc123/acme_cloud_outage/',
    author: 'u/sre_jane',
    reach: 12_345,
    title: 'Acme Cloud down again? <!channel>',
    text: 'Third outage this month. *Nobody* answers <@U0123>. We lost a day of data.',
    kind: 'post',
    linkUrl: null,
    language: 'en',
    publishedAt: '2026-11-23T08:00:00.000Z',
    fetchedAt: '2026-11-23T08:02:00.000Z',
    matchedTerms: ['acme cloud'],
    sentiment: { label: 'negative', score: -0.72, reasons: ['outage', 'lost a day of data'] },
    urgency: { level: 'high', score: 0.81, reasons: ['outage'] },
    duplicateOf: null,
    storyKey: null,
    metrics: {},
    canonicalUrl: null,
    fingerprint: null,
    alertState: 'evaluated',
  })!;
  const targets = options.targets ?? ['#brand-alerts'];
  const alertId = insertAlert(db, {
    rule: 'negative-mention',
    ruleHash: 'h',
    ruleType: 'mention',
    groupKey: '*',
    brand: 'acme',
    summary: 'Negative mention of Acme Cloud on reddit',
    details: [],
    mentionIds: [mentionId],
    totalMentions: 1,
    createdAt: '2026-11-23T08:02:05.000Z',
    deliveries: targets.map((target) => ({ notifier: 'slack', target })),
  })!;
  const log = silentLogger();
  const clock = { now: NOW };
  const deliverer = new Deliverer(store, config(env, dir), log, () => clock.now, { spacingMs: 0 });
  expect(await deliverer.deliverDue()).toEqual({ sent: targets.length, retried: 0, failed: 0 });
  await deliverer.close();
  const [message] = slack.messages;
  const actions = (await startSlackActions({
    env,
    triage: triageStore(db),
    getAlert: async (id) => getAlert(db, id),
    brandName: (brand) => (brand === 'acme' ? 'Acme Cloud' : brand),
    log,
    now: () => clock.now,
    socketRetryDelayMs: 20,
  }))!;
  const server = options.http === false ? null : await startOpsServer({
    address: { host: '127.0.0.1', port: 0, exposed: false },
    store,
    scheduler: { health: () => ({ running: true, lastPassAt: new Date(), lastPassError: null }) },
    log,
    slackActions: actions,
  });
  f = { dir, db, store, slack, mentionId, alertId, channel: message!.channelId, ts: message!.ts, actions, server, clock };
  return f;
}

/** A click on earshot's own control, in the recorded payload's envelope (user, team, container…). */
function click(fx: Fixture, action: Record<string, unknown>, user = { id: 'U01NK1K9L68', username: 'maria', name: 'maria', team_id: 'T01ND2P8N91' }): Record<string, unknown> {
  const payload = recordedClick();
  const [recorded] = payload.actions as Array<Record<string, unknown>>;
  return {
    ...payload,
    user,
    container: { type: 'message', message_ts: fx.ts, channel_id: fx.channel, is_ephemeral: false },
    channel: { id: fx.channel, name: 'brand-alerts' },
    // The fake's response_url: nothing here may reach hooks.slack.com.
    response_url: fx.slack.responseUrl,
    actions: [{ ...recorded, block_id: `earshot_triage:${fx.alertId}:${fx.mentionId}`, ...action }],
  };
}

const handle = (fx: Fixture) => ({ action_id: 'earshot_handle', type: 'button', value: String(fx.mentionId), text: { type: 'plain_text', text: 'Handled' } });

function formBody(payload: unknown): string {
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

async function post(fx: Fixture, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const response = await fetch(`${fx.server!.url}/slack/actions`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  return { status: response.status, text: await response.text() };
}

function signed(body: string, at = NOW, secret = SECRET): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature(secret, timestamp, body) };
}

async function state(fx: Fixture) {
  const store = triageStore(fx.db);
  return { mention: (await store.getMention(fx.mentionId))!, events: await store.listEvents(fx.mentionId) };
}

/** The message the daemon should send now, rendered from scratch with the given state. */
function expectedMessage(fx: Fixture, view: SlackTriageView, sentiment?: { label: 'negative' | 'neutral' | 'positive'; score: number; reasons: string[] }) {
  const alert = getAlert(fx.db, fx.alertId)!;
  const stored = triageStore(fx.db);
  return stored.getMention(fx.mentionId).then((mention) =>
    renderSlackMessage(toAlertContent(alert, [{ ...mention!, ...(sentiment ? { sentiment } : {}) }], 'Acme Cloud'), { interactive: true, triage: new Map([[fx.mentionId, view]]) }),
  );
}

const maria = { kind: 'slack', name: 'maria' };
const mariaActor: Actor = { kind: 'slack', id: 'U01NK1K9L68', name: 'maria' };

describe(`Slack buttons over HTTP (POST /slack/actions)${haveFixtures ? '' : ' (recorded payloads absent: hand-written envelope)'}`, () => {
  it('posts the alert with the buttons; a signed click marks it handled by the Slack user and updates the message, exactly', async () => {
    const fx = await setUp();
    const posted = fx.slack.messages[0]!;
    expect(JSON.stringify(posted.blocks)).toContain(`"block_id":"earshot_triage:${fx.alertId}:${fx.mentionId}"`);
    // The mention's text is shown literally, never as a ping or formatting.
    expect(JSON.stringify(posted.blocks)).toContain('{"type":"plain_text","text":"Acme Cloud down again? <!channel>\\nThird outage this month. *Nobody* answers <@U0123>. We lost a day of data.","emoji":false}');

    const body = formBody(click(fx, handle(fx)));
    const answer = await post(fx, body, signed(body));
    expect(answer).toEqual({ status: 200, text: '' });
    await fx.slack.waitForUpdates(1);
    await fx.actions.idle();

    const { mention, events } = await state(fx);
    expect(mention).toMatchObject({ status: 'handled', statusAt: NOW.toISOString() });
    expect(events).toEqual([expect.objectContaining({ action: 'handle', actor: mariaActor, at: NOW.toISOString(), before: expect.objectContaining({ status: 'open' }) })]);

    expect(fx.slack.updates).toHaveLength(1);
    const update = fx.slack.updates[0]!;
    const expected = await expectedMessage(fx, { status: 'handled', statusBy: maria, statusAt: NOW.toISOString(), snoozedUntil: null, sentimentBy: null, sentimentAt: null });
    expect(update).toMatchObject({ channel: fx.channel, ts: fx.ts, text: posted.text, blocks: expected.blocks });
    expect(update.raw).toMatchObject({ link_names: 'false', parse: 'none' });
    // The parts that matter, spelled out: who and when, then Reopen instead of the two buttons.
    const tail = update.blocks!.slice(-3);
    expect(tail[0]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: `✓ Handled by @maria at ${NOW_TOKEN}`, verbatim: true }] });
    expect((tail[1] as { elements: Array<{ action_id: string }> }).elements.map((e) => e.action_id)).toEqual(['earshot_reopen', 'earshot_sentiment']);
    // Everything above the triage part is the message as first posted.
    expect(update.blocks!.slice(0, -3)).toEqual(posted.blocks!.slice(0, -2));
  });

  it('answers before it applies: the 200 is out while the mention is still open', async () => {
    const fx = await setUp();
    const body = formBody(click(fx, handle(fx)));
    const request = new Request('http://127.0.0.1/slack/actions', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...signed(body) } });
    const answer = await fx.actions.handleRequest(request);
    expect(answer.status).toBe(200);
    expect((await state(fx)).mention.status).toBe('open');
    await fx.actions.idle();
    expect((await state(fx)).mention.status).toBe('handled');
  });

  it.each([
    ['a forged signature', (body: string) => ({ ...signed(body), 'x-slack-signature': `v0=${'0'.repeat(64)}` }), 'Slack request refused: the signature does not match'],
    ['another secret', (body: string) => signed(body, NOW, 'not-the-signing-secret'), 'Slack request refused: the signature does not match'],
    ['a timestamp 6 minutes old', (body: string) => signed(body, new Date(NOW.getTime() - 6 * 60_000)), 'Slack request refused: the request timestamp is more than 5 minutes from now'],
    ['no signature headers', () => ({}), 'Slack request refused: the X-Slack-Request-Timestamp or X-Slack-Signature header is missing'],
    ['a body changed after signing', (body: string) => signed(body), 'Slack request refused: the signature does not match'],
  ])('refuses %s with 401 and changes nothing', async (_name, headersFor, message) => {
    const fx = await setUp();
    const body = formBody(click(fx, handle(fx)));
    const tampered = _name === 'a body changed after signing' ? body.replace('earshot_handle', 'earshot_irrelevant') : body;
    const answer = await post(fx, tampered, headersFor(body));
    expect(answer.status).toBe(401);
    expect(answer.text).toContain(message);
    expect(answer.text).not.toContain(SECRET);
    await fx.actions.idle();
    const { mention, events } = await state(fx);
    expect(mention.status).toBe('open');
    expect(events).toEqual([]);
    expect(fx.slack.updates).toEqual([]);
  });

  it('refuses a replay of a signed request (same bytes, same signature) with 401', async () => {
    const fx = await setUp();
    const body = formBody(click(fx, handle(fx)));
    const headers = signed(body);
    expect((await post(fx, body, headers)).status).toBe(200);
    await fx.actions.idle();
    // Reopened in the web UI; the captured click replayed must not handle it again.
    await applyAction(triageStore(fx.db), { mentionId: fx.mentionId, action: 'reopen', actor: { kind: 'ui', id: 'jo', name: 'Jo' } }, { now: () => NOW });
    const replay = await post(fx, body, headers);
    expect(replay).toEqual({ status: 401, text: 'Slack request refused: this signed request was already received (a replay)\n' });
    await fx.actions.idle();
    const { mention, events } = await state(fx);
    expect(mention.status).toBe('open');
    expect(events.map((e) => e.action)).toEqual(['handle', 'reopen']);
  });

  it('a double click is harmless: one change, the first clicker stays the actor, the message says the same', async () => {
    const fx = await setUp();
    const first = formBody(click(fx, handle(fx)));
    const second = formBody(click(fx, { ...handle(fx), action_ts: '1795430521.000001' }, { id: 'U0SAM', username: 'sam', name: 'sam', team_id: 'T01ND2P8N91' }));
    expect((await post(fx, first, signed(first))).status).toBe(200);
    fx.clock.now = new Date(NOW.getTime() + 1000);
    expect((await post(fx, second, signed(second, fx.clock.now))).status).toBe(200);
    await fx.actions.idle();

    const { mention, events } = await state(fx);
    expect(mention).toMatchObject({ status: 'handled', statusAt: NOW.toISOString() });
    expect(events).toHaveLength(1);
    expect(events[0]!.actor).toEqual(mariaActor);
    expect(fx.slack.updates.length).toBeGreaterThanOrEqual(1);
    for (const update of fx.slack.updates) expect(update.blocks).toEqual(fx.slack.updates[0]!.blocks);
    expect(JSON.stringify(fx.slack.current(fx.channel, fx.ts)!.blocks)).toContain('✓ Handled by @maria');
  });

  it('a sentiment choice corrects the label everywhere and says who set it', async () => {
    const fx = await setUp();
    const body = formBody(
      click(fx, { action_id: 'earshot_sentiment', type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'Positive' }, value: `${fx.mentionId}:positive` } }),
    );
    expect((await post(fx, body, signed(body))).status).toBe(200);
    await fx.slack.waitForUpdates(1);
    await fx.actions.idle();
    const { mention, events } = await state(fx);
    expect(mention).toMatchObject({ status: 'open', sentiment: { label: 'positive' }, sentimentCorrectedFrom: 'negative' });
    expect(events.map((e) => [e.action, e.value, e.actor.id])).toEqual([['sentiment', 'positive', 'U01NK1K9L68']]);
    const expected = await expectedMessage(fx, { status: 'open', statusBy: null, statusAt: null, snoozedUntil: null, sentimentBy: maria, sentimentAt: NOW.toISOString() });
    expect(fx.slack.updates[0]!.blocks).toEqual(expected.blocks);
    const text = JSON.stringify(fx.slack.updates[0]!.blocks);
    expect(text).toContain(`Sentiment set to positive by @maria at ${NOW_TOKEN}`);
    expect(text).toContain('Sentiment: positive (+0.60): corrected by maria');
  });

  it('Reopen in Slack reopens, with the same history the web UI would write', async () => {
    const fx = await setUp();
    await applyAction(triageStore(fx.db), { mentionId: fx.mentionId, action: 'irrelevant', actor: { kind: 'ui', id: 'jo', name: 'Jo' } }, { now: () => NOW });
    await fx.slack.waitForUpdates(1);
    const body = formBody(click(fx, { action_id: 'earshot_reopen', type: 'button', value: String(fx.mentionId) }));
    expect((await post(fx, body, signed(body))).status).toBe(200);
    await fx.slack.waitForUpdates(2);
    await fx.actions.idle();
    const { mention, events } = await state(fx);
    expect(mention.status).toBe('open');
    expect(events.map((e) => [e.action, e.actor.kind])).toEqual([
      ['irrelevant', 'ui'],
      ['reopen', 'slack'],
    ]);
    expect(JSON.stringify(fx.slack.updates[1]!.blocks)).toContain(`↺ Reopened by @maria at ${NOW_TOKEN}`);
  });

  it('answers 400 to a signed body that is not an interaction, 405 to GET, and acts on another app’s click not at all', async () => {
    const fx = await setUp();
    const notForm = 'token=x&command=%2Fearshot';
    expect(await post(fx, notForm, signed(notForm))).toEqual({ status: 400, text: 'the request has no "payload" form field (is this an interactivity request?)\n' });
    const foreign = formBody(recordedClick());
    expect((await post(fx, foreign, signed(foreign))).status).toBe(200);
    expect((await fetch(`${fx.server!.url}/slack/actions`)).status).toBe(405);
    await fx.actions.idle();
    expect((await state(fx)).events).toEqual([]);
    expect(fx.slack.updates).toEqual([]);
  });

  it('tells only the clicker, through response_url, when the mention is gone; nothing else changes', async () => {
    const fx = await setUp();
    const body = formBody(click(fx, { action_id: 'earshot_handle', type: 'button', value: '999', block_id: `earshot_triage:${fx.alertId}:999` }));
    expect((await post(fx, body, signed(body))).status).toBe(200);
    await fx.actions.idle();
    expect(fx.slack.responses).toEqual([
      {
        path: '/actions/T0EARSHOT/1/test',
        body: {
          response_type: 'ephemeral',
          replace_original: false,
          text: 'earshot: this mention is no longer stored (older than the retention period, or deleted), so nothing was changed.',
        },
        receivedAt: expect.any(Date),
      },
    ]);
    expect(fx.slack.updates).toEqual([]);
    expect((await state(fx)).events).toEqual([]);
  });

  it('refuses an oversized body with 413 before checking anything', async () => {
    const fx = await setUp();
    const body = `payload=${'x'.repeat(1024 * 1024 + 1)}`;
    expect((await post(fx, body, signed(body))).status).toBe(413);
  });
});

describe('messages follow actions taken elsewhere', () => {
  it('an action in the web UI updates every Slack message of the mention (two channels)', async () => {
    const fx = await setUp({ targets: ['#brand-alerts', '#support'] });
    await applyAction(triageStore(fx.db), { mentionId: fx.mentionId, action: 'irrelevant', actor: { kind: 'ui', id: 'jo', name: 'Jo' } }, { now: () => NOW });
    await fx.slack.waitForUpdates(2);
    await fx.actions.idle();
    const channels = fx.slack.updates.map((u) => [u.channel, u.ts]).sort();
    expect(channels).toEqual(fx.slack.messages.map((m) => [m.channelId, m.ts]).sort());
    for (const update of fx.slack.updates) {
      expect(JSON.stringify(update.blocks)).toContain(`✗ Marked not relevant by Jo (earshot) at ${NOW_TOKEN}`);
    }
  });

  it('a click updates the other channel’s message too', async () => {
    const fx = await setUp({ targets: ['#brand-alerts', '#support'] });
    const body = formBody(click(fx, handle(fx)));
    expect((await post(fx, body, signed(body))).status).toBe(200);
    await fx.slack.waitForUpdates(2);
    await fx.actions.idle();
    expect(fx.slack.updates).toHaveLength(2);
    expect(new Set(fx.slack.updates.map((u) => u.channel))).toEqual(new Set(fx.slack.messages.map((m) => m.channelId)));
  });

  it('waits out a 429 on chat.update and sends the state as it is then', async () => {
    const fx = await setUp();
    fx.slack.failNext(1, 'ratelimited', { method: 'chat.update', retryAfter: 1 });
    await applyAction(triageStore(fx.db), { mentionId: fx.mentionId, action: 'handle', actor: { kind: 'ui', id: 'jo', name: 'Jo' } }, { now: () => NOW });
    await fx.slack.waitForUpdates(1, 5000);
    await fx.actions.idle();
    expect(fx.slack.requests.filter((r) => r.method === 'chat.update').map((r) => r.status)).toEqual([429, 200]);
    expect(JSON.stringify(fx.slack.updates[0]!.blocks)).toContain('✓ Handled by Jo (earshot)');
  });

  it('gives up on a message Slack says is gone, and keeps the change', async () => {
    const fx = await setUp();
    fx.slack.failNext(1, { error: 'message_not_found' }, { method: 'chat.update' });
    await applyAction(triageStore(fx.db), { mentionId: fx.mentionId, action: 'handle', actor: { kind: 'ui', id: 'jo', name: 'Jo' } }, { now: () => NOW });
    await fx.actions.idle();
    expect(fx.slack.requests.filter((r) => r.method === 'chat.update')).toHaveLength(1);
    expect((await state(fx)).mention.status).toBe('handled');
  });

  it('without SLACK_SIGNING_SECRET or SLACK_APP_TOKEN: no buttons, but a web UI action still says who did what', async () => {
    const fx = await setUp({ http: false });
    expect(JSON.stringify(fx.slack.messages[0]!.blocks)).not.toContain('earshot_handle');
    expect(fx.actions.http).toBe(false);
    await applyAction(triageStore(fx.db), { mentionId: fx.mentionId, action: 'handle', actor: { kind: 'ui', id: 'jo', name: 'Jo' } }, { now: () => NOW });
    await fx.slack.waitForUpdates(1);
    const blocks = fx.slack.updates[0]!.blocks!;
    expect(blocks.at(-2)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: `✓ Handled by Jo (earshot) at ${NOW_TOKEN}`, verbatim: true }] });
    expect(JSON.stringify(blocks)).not.toContain('earshot_');
  });
});

describe('Slack buttons over Socket Mode', () => {
  it('acks the envelope, applies the click and updates the message', async () => {
    const fx = await setUp({ socketMode: true, http: false });
    await fx.actions.socketMode!.whenConnected();
    const envelope = fx.slack.socketMode.sendEnvelope(click(fx, handle(fx)));
    await expect(fx.slack.socketMode.waitForAck(envelope)).resolves.toMatchObject({ envelopeId: envelope });
    await fx.slack.waitForUpdates(1);
    await fx.actions.idle();
    const { mention, events } = await state(fx);
    expect(mention.status).toBe('handled');
    expect(events.map((e) => e.actor)).toEqual([mariaActor]);
    const expected = await expectedMessage(fx, { status: 'handled', statusBy: maria, statusAt: NOW.toISOString(), snoozedUntil: null, sentimentBy: null, sentimentAt: null });
    expect(fx.slack.updates[0]).toMatchObject({ channel: fx.channel, ts: fx.ts, blocks: expected.blocks });
  });

  it('keeps working after Slack recycles the connection', async () => {
    const fx = await setUp({ socketMode: true, http: false });
    await fx.actions.socketMode!.whenConnected();
    fx.slack.socketMode.requestReconnect();
    await fx.slack.socketMode.waitForAccepted(2);
    const socket = fx.actions.socketMode!;
    await expect.poll(() => socket.state === 'connected' && fx.slack.socketMode.connections === 1).toBe(true);
    const envelope = fx.slack.socketMode.sendEnvelope(click(fx, { action_id: 'earshot_irrelevant', type: 'button', value: String(fx.mentionId) }));
    await fx.slack.socketMode.waitForAck(envelope);
    await fx.slack.waitForUpdates(1);
    await fx.actions.idle();
    expect((await state(fx)).mention.status).toBe('irrelevant');
  });
});

describe('the delivery ref', () => {
  it('stores the channel id and ts the message was posted with', async () => {
    const fx = await setUp();
    const ref = stmt<[number], { ref: string }>(fx.db, 'SELECT ref FROM deliveries WHERE alert_id = ?').get(fx.alertId)!.ref;
    expect(ref).toBe(`${fx.channel}:${fx.ts}`);
    expect(fx.channel).toBe(fx.slack.channelId('#brand-alerts'));
  });
});
