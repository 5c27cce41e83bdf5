import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SLACK_FIXTURES_DIR, startSlackServer, type SlackServer } from './slack-server.js';

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
    expect(a.json()).toMatchObject({ ok: true, channel: '#x', message: { text: 'one', blocks } });
    expect(b.json()).toMatchObject({ ok: true, channel: '#x', message: { text: 'two', thread_ts: a.json().ts } });
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
});
