import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SLACK_FIXTURES_DIR, SLACK_INTERACTIVITY_FIXTURES_DIR, startSlackServer, type SlackServer } from './slack-server.js';

let slack: SlackServer | undefined;

afterEach(async () => {
  await slack?.close();
  slack = undefined;
});

async function call(
  server: SlackServer,
  method: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; text: string; json: () => Record<string, unknown> }> {
  const response = await fetch(`${server.url}${method}`, { method: 'POST', body, headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const json = (token?: string) => ({
  'content-type': 'application/json; charset=utf-8',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
});

describe('fake Slack server', () => {
  it('accepts JSON and form-encoded chat.postMessage and records both the same way', async () => {
    slack = await startSlackServer();
    const blocks = [{ type: 'section', text: { type: 'plain_text', text: 'hi' } }];
    const a = await call(slack, 'chat.postMessage', JSON.stringify({ channel: '#x', text: 'one', blocks }), json(slack.token));
    const form = new URLSearchParams({ channel: '#x', text: 'two', blocks: JSON.stringify(blocks), thread_ts: a.json().ts as string });
    const b = await call(slack, 'chat.postMessage', form.toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Bearer ${slack.token}`,
    });
    expect(a.status).toBe(200);
    // Like Slack, a #name is answered with the channel's id.
    const id = slack.channelId('#x');
    expect(id).toMatch(/^C[0-9A-F]{10}$/);
    expect(a.json()).toMatchObject({ ok: true, channel: id, message: { text: 'one', blocks } });
    expect(b.json()).toMatchObject({ ok: true, channel: id, message: { text: 'two', thread_ts: a.json().ts } });
    expect(slack.messages.map((m) => m.channelId)).toEqual([id, id]);
    expect(slack.messages.map((m) => [m.channel, m.text, m.blocks, m.thread_ts])).toEqual([
      ['#x', 'one', blocks, undefined],
      ['#x', 'two', blocks, a.json().ts],
    ]);
    expect(Number(b.json().ts)).toBeGreaterThan(Number(a.json().ts));
  });

  it('checks the token like Slack: HTTP 200 with not_authed / invalid_auth', async () => {
    slack = await startSlackServer({ token: 'xoxb-right' });
    const body = JSON.stringify({ channel: '#x', text: 'hi' });
    expect((await call(slack, 'chat.postMessage', body, json())).json()).toEqual({ ok: false, error: 'not_authed' });
    const wrong = await call(slack, 'chat.postMessage', body, json('xoxb-wrong'));
    expect(wrong.status).toBe(200);
    expect(wrong.json()).toEqual({ ok: false, error: 'invalid_auth' });
    const formToken = await call(slack, 'auth.test', new URLSearchParams({ token: 'xoxb-right' }).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(formToken.json()).toMatchObject({ ok: true, user_id: expect.any(String) });
    expect(slack.messages).toHaveLength(0);
  });

  it('answers missing channel, missing text and unknown methods like Slack', async () => {
    slack = await startSlackServer();
    expect((await call(slack, 'chat.postMessage', '{"text":"x"}', json(slack.token))).json()).toEqual({
      ok: false,
      error: 'channel_not_found',
    });
    expect((await call(slack, 'chat.postMessage', '{"channel":"#x"}', json(slack.token))).json()).toEqual({ ok: false, error: 'no_text' });
    expect((await call(slack, 'team.info', '{}', json(slack.token))).json()).toEqual({ ok: false, error: 'unknown_method' });
    const notApi = await call(slack, '../nope', '', {});
    expect(notApi.status).toBe(404);
    expect(notApi.text).toContain('Not Found');
  });

  it('applies queued faults in order, then recovers', async () => {
    slack = await startSlackServer();
    slack.failNext(1, 'ratelimited', { retryAfter: 4 });
    slack.failNext(1, 'server_error');
    slack.failNext(1, { error: 'is_archived' });
    const body = JSON.stringify({ channel: '#x', text: 'hi' });
    const limited = await call(slack, 'chat.postMessage', body, json(slack.token));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('4');
    expect(limited.json()).toEqual({ ok: false, error: 'ratelimited' });
    const broken = await call(slack, 'chat.postMessage', body, json(slack.token));
    expect(broken.status).toBe(500);
    expect(broken.headers.get('content-type')).toContain('text/html');
    expect(broken.text).toContain('Server Error');
    expect((await call(slack, 'chat.postMessage', body, json(slack.token))).json()).toEqual({ ok: false, error: 'is_archived' });
    expect((await call(slack, 'chat.postMessage', body, json(slack.token))).json()).toMatchObject({ ok: true });
    expect(slack.requests.map((r) => r.status)).toEqual([429, 500, 200, 200]);
    expect(slack.messages).toHaveLength(1);
  });

  it('drops the connection without an answer', async () => {
    slack = await startSlackServer();
    slack.failNext(1, 'drop');
    await expect(call(slack, 'chat.postMessage', '{"channel":"#x","text":"hi"}', json(slack.token))).rejects.toThrow();
    expect(slack.requests.at(-1)?.status).toBe('drop');
  });

  it('faults only the method they were queued for', async () => {
    slack = await startSlackServer();
    slack.failNext(1, 'server_error');
    expect((await call(slack, 'auth.test', '', json(slack.token))).status).toBe(200);
    expect((await call(slack, 'chat.postMessage', '{"channel":"#x","text":"a"}', json(slack.token))).status).toBe(500);
  });

  it('produces the same random faults for the same seed', async () => {
    const run = async (seed: number): Promise<(number | string)[]> => {
      const server = await startSlackServer();
      server.failRandomly(0.5, ['ratelimited', 'server_error', { error: 'fatal_error' }], seed);
      for (let i = 0; i < 20; i += 1) await call(server, 'chat.postMessage', '{"channel":"#x","text":"a"}', json(server.token));
      await server.close();
      return server.requests.map((r) => `${r.status}${r.error ?? ''}`);
    };
    const first = await run(42);
    expect(await run(42)).toEqual(first);
    expect(first.filter((s) => s === '200').length).toBeGreaterThan(2);
    expect(first.filter((s) => s !== '200').length).toBeGreaterThan(2);
  });

  it('waitForMessages resolves on arrival and rejects on timeout', async () => {
    slack = await startSlackServer();
    const server = slack;
    const waiting = server.waitForMessages(1, 2000);
    setTimeout(() => void call(server, 'chat.postMessage', '{"channel":"#x","text":"a"}', json(server.token)), 20);
    await expect(waiting).resolves.toHaveLength(1);
    await expect(server.waitForMessages(2, 50)).rejects.toThrow(/expected 2 message\(s\) within 50 ms, got 1/);
  });

  it('uses built-in payloads when the fixtures folder is absent', async () => {
    slack = await startSlackServer({ fixturesDir: '/nonexistent/fixtures/slack' });
    expect(slack.fixtureSource).toBe('builtin');
    slack.failNext(1, 'ratelimited');
    const limited = await call(slack, 'chat.postMessage', '{"channel":"#x","text":"a"}', json(slack.token));
    expect(limited.headers.get('retry-after')).toBe('1');
  });

  describe.skipIf(!existsSync(SLACK_FIXTURES_DIR))('replaying ../shared/fixtures/slack', () => {
    it('answers chat.postMessage in the shape of the OpenAPI example, with channel and ts filled in', async () => {
      slack = await startSlackServer();
      expect(slack.fixtureSource).toBe('fixtures');
      const ok = (await call(slack, 'chat.postMessage', '{"channel":"C0123","text":"hi"}', json(slack.token))).json();
      expect(ok).toMatchObject({
        ok: true,
        channel: 'C0123',
        message: { bot_id: 'B19LU7CSY', type: 'message', subtype: 'bot_message', text: 'hi', username: 'ecto1' },
      });
      expect(ok.ts).not.toBe('1503435956.000247');
      expect((ok.message as { ts: string }).ts).toBe(ok.ts);
    });

    it('replays the recorded auth.test and the SDK mock 429', async () => {
      slack = await startSlackServer();
      expect((await call(slack, 'auth.test', '', json(slack.token))).json()).toMatchObject({ ok: true, team_id: 'T04KB5WQH' });
      slack.failNext(1, 'ratelimited');
      const limited = await call(slack, 'chat.postMessage', '{"channel":"#x","text":"a"}', json(slack.token));
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(limited.text).toBe('{"ok":false,"error":"ratelimited"}');
    });
  });

  describe('chat.update', () => {
    const form = (server: SlackServer, params: Record<string, string>) =>
      call(server, 'chat.update', new URLSearchParams(params).toString(), {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Bearer ${server.token}`,
      });

    it('edits a posted message by channel id and ts, and records the edit', async () => {
      slack = await startSlackServer();
      const posted = (await call(slack, 'chat.postMessage', '{"channel":"#x","text":"before"}', json(slack.token))).json();
      const blocks = [{ type: 'section', text: { type: 'plain_text', text: 'after' } }];
      const updated = await form(slack, { channel: posted.channel as string, ts: posted.ts as string, text: 'after', blocks: JSON.stringify(blocks) });
      expect(updated.json()).toMatchObject({ ok: true, channel: posted.channel, ts: posted.ts, text: 'after', message: { text: 'after', blocks } });
      expect(slack.updates).toEqual([
        { channel: posted.channel, ts: posted.ts, text: 'after', blocks, raw: expect.objectContaining({ text: 'after' }), receivedAt: expect.any(Date) },
      ]);
      expect(slack.current(posted.channel as string, posted.ts as string)).toEqual({ text: 'after', blocks });
      expect(slack.messages[0]!.text).toBe('before');
    });

    it('answers like Slack for a #name, an unknown ts and no text', async () => {
      slack = await startSlackServer();
      const posted = (await call(slack, 'chat.postMessage', '{"channel":"#x","text":"a"}', json(slack.token))).json();
      expect((await form(slack, { channel: '#x', ts: posted.ts as string, text: 'b' })).json()).toEqual({ ok: false, error: 'channel_not_found' });
      expect((await form(slack, { channel: posted.channel as string, ts: '1.000001', text: 'b' })).json()).toEqual({ ok: false, error: 'message_not_found' });
      expect((await form(slack, { channel: posted.channel as string, ts: posted.ts as string })).json()).toEqual({ ok: false, error: 'no_text' });
      expect(slack.updates).toHaveLength(0);
    });

    it('waitForUpdates resolves on arrival and rejects on timeout', async () => {
      slack = await startSlackServer();
      await expect(slack.waitForUpdates(1, 50)).rejects.toThrow(/expected 1 chat.update call\(s\) within 50 ms, got 0/);
    });
  });

  describe('Socket Mode', () => {
    function connect(url: string): Promise<{ ws: WebSocket; frames: unknown[]; next: () => Promise<unknown> }> {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        const frames: unknown[] = [];
        const waiters: Array<() => void> = [];
        ws.on('message', (data: Buffer) => {
          frames.push(JSON.parse(data.toString('utf8')));
          waiters.shift()?.();
        });
        let read = 0;
        const next = () =>
          new Promise<unknown>((done) => {
            if (frames.length > read) return done(frames[read++]);
            waiters.push(() => done(frames[read++]));
          });
        ws.once('open', () => resolve({ ws, frames, next }));
        ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
        ws.once('error', reject);
      });
    }

    it('opens a connection with the app token, says hello, sends envelopes and records acks', async () => {
      slack = await startSlackServer();
      const opened = (await call(slack, 'apps.connections.open', '', json(slack.appToken))).json();
      expect(opened).toEqual({ ok: true, url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f-]{36}&app_id=A0EARSHOT$/) });
      const client = await connect(opened.url as string);
      expect(await client.next()).toMatchObject({ type: 'hello' });
      expect(slack.socketMode.connections).toBe(1);

      const id = slack.socketMode.sendEnvelope({ type: 'block_actions', actions: [] });
      expect(await client.next()).toEqual({ envelope_id: id, payload: { type: 'block_actions', actions: [] }, type: 'interactive', accepts_response_payload: false });
      client.ws.send(JSON.stringify({ envelope_id: id, payload: {} }));
      await expect(slack.socketMode.waitForAck(id, 2000)).resolves.toMatchObject({ envelopeId: id, payload: {} });

      slack.socketMode.requestReconnect();
      expect(await client.next()).toMatchObject({ type: 'disconnect', reason: 'refresh_requested' });
      client.ws.close();
    });

    it('refuses the bot token, a used ticket and an unknown one', async () => {
      slack = await startSlackServer();
      expect((await call(slack, 'apps.connections.open', '', json(slack.token))).json()).toEqual({ ok: false, error: 'not_allowed_token_type' });
      expect((await call(slack, 'chat.postMessage', '{"channel":"#x","text":"a"}', json(slack.appToken))).json()).toEqual({ ok: false, error: 'not_allowed_token_type' });
      const { url } = (await call(slack, 'apps.connections.open', '', json(slack.appToken))).json() as { url: string };
      const first = await connect(url);
      await expect(connect(url)).rejects.toThrow('HTTP 401');
      await expect(connect(url.replace(/ticket=[^&]+/, 'ticket=forged'))).rejects.toThrow('HTTP 401');
      first.ws.close();
      await expect(slack.socketMode.waitForAck('never', 30)).rejects.toThrow(/no ack for envelope never within 30 ms/);
    });

    it.skipIf(!existsSync(SLACK_INTERACTIVITY_FIXTURES_DIR))('says the captured hello frame', async () => {
      slack = await startSlackServer();
      const { url } = (await call(slack, 'apps.connections.open', '', json(slack.appToken))).json() as { url: string };
      const client = await connect(url);
      expect(await client.next()).toEqual({
        type: 'hello',
        num_connections: 2,
        debug_info: { host: 'applink-111-xxx', build_number: 10, approximate_connection_time: 18060 },
        connection_info: { app_id: 'A111' },
      });
      client.ws.close();
    });
  });
});
