import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SLACK_INTERACTIVITY_FIXTURES_DIR, startSlackServer, type SlackServer } from '../../../test/helpers/slack-server.js';
import { until } from '../../../test/helpers/wait.js';
import { silentLogger } from '../../core/log.js';
import { describeSocketModeError, startSlackSocketMode, type SlackSocketMode } from './socket-mode.js';

let slack: SlackServer | undefined;
let socket: SlackSocketMode | undefined;

afterEach(async () => {
  await socket?.stop();
  socket = undefined;
  await slack?.close();
  slack = undefined;
});

async function start(server: SlackServer, onInteractive: (payload: unknown) => void | Promise<void>, appToken = server.appToken): Promise<SlackSocketMode> {
  socket = await startSlackSocketMode({ appToken, apiUrl: server.url, log: silentLogger(), onInteractive, retryDelayMs: 20, maxRetryDelayMs: 100, stableAfterMs: 0 });
  return socket;
}

const CLICK = { type: 'block_actions', user: { id: 'U1', username: 'maria' }, actions: [] };

describe('Slack Socket Mode against a local Socket Mode server', () => {
  it('opens the connection with the app token, acks each envelope before the work is done, then hands the payload over', async () => {
    slack = await startSlackServer();
    let release!: () => void;
    const received: unknown[] = [];
    const mode = await start(slack, async (payload) => {
      received.push(payload);
      await new Promise<void>((resolve) => (release = resolve));
    });
    await mode.whenConnected();
    expect(mode.state).toBe('connected');
    expect(slack.requests.filter((r) => r.method === 'apps.connections.open')).toEqual([expect.objectContaining({ status: 200 })]);

    const id = slack.socketMode.sendEnvelope(CLICK);
    // The ack arrives while the handler is still busy: Slack's 3 s never wait for earshot's work.
    await expect(slack.socketMode.waitForAck(id, 2000)).resolves.toMatchObject({ envelopeId: id });
    await until(() => received.length === 1, 2000, 'the payload');
    expect(received).toEqual([CLICK]);
    release();
  });

  it('acks other envelope types without handing them over', async () => {
    slack = await startSlackServer();
    const received: unknown[] = [];
    const mode = await start(slack, (payload) => void received.push(payload));
    await mode.whenConnected();
    const event = slack.socketMode.sendEnvelope({ event: { type: 'app_mention' } }, { type: 'events_api' });
    const click = slack.socketMode.sendEnvelope(CLICK);
    await slack.socketMode.waitForAck(event, 2000);
    await slack.socketMode.waitForAck(click, 2000);
    await until(() => received.length === 1, 2000, 'the click');
    expect(received).toEqual([CLICK]);
  });

  it('reconnects when Slack asks (refresh) and when the connection drops, and keeps receiving', async () => {
    slack = await startSlackServer();
    const received: unknown[] = [];
    const mode = await start(slack, (payload) => void received.push(payload));
    await mode.whenConnected();

    slack.socketMode.requestReconnect();
    await slack.socketMode.waitForAccepted(2, 5000);
    slack.socketMode.dropAll();
    await slack.socketMode.waitForAccepted(3, 5000);
    await until(() => mode.state === 'connected' && slack!.socketMode.connections === 1, 5000, 'the third connection');
    await slack.socketMode.waitForAck(slack.socketMode.sendEnvelope({ ...CLICK, n: 3 }), 2000);
    await until(() => received.length === 1, 2000, 'the click after reconnecting');
    expect(received).toEqual([{ ...CLICK, n: 3 }]);
    expect(mode.connections).toBe(3);
    expect(slack.socketMode.issued).toBe(3);
  });

  it('stops for good, saying what to fix, when Slack refuses the token', async () => {
    slack = await startSlackServer();
    const mode = await start(slack, () => undefined, slack.token);
    await expect(mode.whenConnected()).rejects.toThrow(
      'Slack Socket Mode: apps.connections.open: not_allowed_token_type: SLACK_APP_TOKEN is not an app-level token: it starts with xapp- (Basic Information → App-Level Tokens), not xoxb- (that one is SLACK_BOT_TOKEN)',
    );
    expect(mode.state).toBe('failed');
    expect(slack.requests.filter((r) => r.method === 'apps.connections.open')).toHaveLength(1);
  });

  it('keeps retrying with back-off while Slack is unreachable, and stops promptly', async () => {
    // A port with nothing listening: the connection is refused each time.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    socket = await startSlackSocketMode({
      appToken: 'xapp-1-x',
      apiUrl: `http://127.0.0.1:${port}/api/`,
      log: silentLogger(),
      onInteractive: () => undefined,
      retryDelayMs: 10,
      maxRetryDelayMs: 20,
    });
    const mode = socket;
    await until(() => mode.state === 'waiting', 3000, 'a retry');
    const stopped = Date.now();
    await mode.stop();
    expect(Date.now() - stopped).toBeLessThan(5000); // the retry wait is cut short (generous for a loaded machine)
    expect(mode.state).toBe('stopped');
    await expect(mode.whenConnected()).rejects.toThrow('Slack Socket Mode was stopped');
  });

  it('closes the connection on stop', async () => {
    slack = await startSlackServer();
    const mode = await start(slack, () => undefined);
    await mode.whenConnected();
    await mode.stop();
    await until(() => slack!.socketMode.connections === 0, 2000, 'the server to see the close');
    expect(mode.state).toBe('stopped');
  });

  it.skipIf(!existsSync(SLACK_INTERACTIVITY_FIXTURES_DIR))('acks and hands over the captured 66 KB interactive envelope', async () => {
    slack = await startSlackServer();
    const envelope = JSON.parse(
      readFileSync(path.join(SLACK_INTERACTIVITY_FIXTURES_DIR, 'socket_mode_envelope__interactive_block_actions_static_select__sdk_fixture.json'), 'utf8'),
    ) as { envelope_id: string; payload: unknown };
    const received: unknown[] = [];
    const mode = await start(slack, (payload) => void received.push(payload));
    await mode.whenConnected();
    slack.socketMode.sendEnvelope(envelope.payload, { envelopeId: envelope.envelope_id });
    await expect(slack.socketMode.waitForAck(envelope.envelope_id, 2000)).resolves.toMatchObject({ envelopeId: 'dfb98ec6-45a8-4200-98af-7d05fb6fb44f' });
    await until(() => received.length === 1, 2000, 'the payload');
    expect(received[0]).toEqual(envelope.payload);
  });
});

describe('describeSocketModeError', () => {
  it.each([
    [{ code: 'slack_webapi_platform_error', data: { error: 'invalid_auth' } }, true, /^apps.connections.open: invalid_auth: SLACK_APP_TOKEN was refused/],
    [{ code: 'slack_webapi_platform_error', data: { error: 'internal_error' } }, false, /^apps.connections.open: internal_error$/],
    [{ code: 'slack_webapi_http_error', statusCode: 404 }, false, /HTTP 404: check SLACK_API_URL/],
    [{ code: 'slack_webapi_rate_limited_error', retryAfter: 3 }, false, /rate limited/],
    [undefined, false, /closed before Slack said hello/],
    [new Error('socket hang up'), false, /^socket hang up$/],
  ])('%j', (err, fatal, reason) => {
    const described = describeSocketModeError(err);
    expect(described.fatal).toBe(fatal);
    expect(described.reason).toMatch(reason);
  });
});
