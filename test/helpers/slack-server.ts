/**
 * A fake Slack Web API on 127.0.0.1 for tests: a real HTTP server, no mocks.
 *
 *   const slack = await startSlackServer();
 *   env.SLACK_API_URL = slack.url;          // 'http://127.0.0.1:PORT/api/'
 *   env.SLACK_BOT_TOKEN = slack.token;
 *   ... send ...
 *   const [msg] = await slack.waitForMessages(1, 2000);
 *   await slack.close();
 *
 * Methods:
 *   POST /api/chat.postMessage  JSON or form-encoded body (form values that hold JSON, like
 *                               `blocks`, are decoded). Records the message in `messages`.
 *   POST /api/auth.test         the bot's identity.
 *   POST /api/chat.update       edits a message this server posted (by channel id + ts, as Slack
 *                               requires: a #name is 'channel_not_found', an unknown ts
 *                               'message_not_found'). Records the edit in `updates`.
 *   POST /api/apps.connections.open  (app token, xapp-…) a one-use ws:// URL of this server's
 *                               Socket Mode endpoint: see test/helpers/slack-socket-mode.ts
 *                               (`slack.socketMode`).
 *   POST /api/conversations.list / conversations.info
 *                               the channels given as `channels` (id, name, whether the bot is a
 *                               member), shaped like the recorded conversations.info channel;
 *                               conversations.list pages with `limit` and `cursor`; an unknown
 *                               channel id answers 'channel_not_found'.
 *   POST /api/<other>           HTTP 200 {ok:false, error:'unknown_method'}, like Slack.
 *   POST /actions/<anything>    a response_url: records the JSON posted in `responses`, answers 200.
 *   anything else               HTTP 404 with Slack's HTML "Not Found" page.
 *
 * Auth like Slack: the token comes from `Authorization: Bearer …` or a `token` body field; a
 * missing one answers HTTP 200 {ok:false,error:'not_authed'}, a wrong one 'invalid_auth'; the app
 * token on a bot method, or the bot token on apps.connections.open, 'not_allowed_token_type'.
 * Channels: like Slack, a message posted to '#name' is answered with the channel's id (a stable
 * 'C…' made from the name; `channelId('#name')` gives it); an id target is kept as is.
 * chat.postMessage without `channel` answers 'channel_not_found'; without text/blocks 'no_text'.
 *
 * Response bodies replay the shapes of the captures in ../shared/fixtures/slack/ when that folder
 * exists (chat_postMessage__200_ok__openapi_example.json with `channel` and a monotonically
 * increasing `ts` filled in, auth_test__200_ok__recorded.json, ratelimited__429__python_sdk_mock.*,
 * server_error__html_page__python_sdk_mock.html, not_found__html_404__python_sdk_mock.html, and
 * from ../shared/fixtures/slack-interactivity/: chat_update__200_ok__openapi_example.json,
 * socket_mode__hello__sdk_fixture.json); otherwise small hand-written equivalents.
 * `fixtureSource` says which was used.
 *
 * Faults (each consumed by one matching request, by default chat.postMessage only):
 *   failNext(n, 'ratelimited', { retryAfter: 3 })  HTTP 429 + Retry-After (default 1 s, as in the capture)
 *   failNext(n, 'server_error')                    HTTP 500 with Slack's HTML error page
 *   failNext(n, 'drop')                            the socket is destroyed without an answer
 *   failNext(n, 'hang')                            no answer until close() (for client timeouts)
 *   failNext(n, { error: 'channel_not_found' })    HTTP 200 {ok:false,error}
 *   failNext(n, { status: 502 })                   that HTTP status with the HTML error page as body
 *   failRandomly(0.3, ['ratelimited', 'drop'], 42) seeded random faults on every matching request;
 *                                                  failRandomly(0, [], 0) turns them off.
 * A faulted request is never recorded in `messages`; every request is recorded in `requests`.
 */
import { mulberry32 } from '../../scripts/lib/random.js';
import { attachSocketMode, type FakeSocketMode } from './slack-socket-mode.js';
import { waitForCount } from './wait.js';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type SlackFault =
  | 'ratelimited'
  | 'server_error'
  | 'drop'
  | 'hang'
  | { error: string }
  /** Any HTTP status with Slack's HTML error page as the body (a 502 from a proxy, a 200 HTML page...). */
  | { status: number };

export interface SlackFaultOptions {
  /** Retry-After seconds for 'ratelimited'; default 1 (the capture's value). */
  retryAfter?: number;
  /** Which API method the fault applies to; default 'chat.postMessage'; '*' for every method. */
  method?: string;
}

export interface ReceivedSlackMessage {
  /** The channel as requested ('#brand-alerts' or an id). */
  channel: string;
  /** The channel id this server answered with (what chat.update needs). */
  channelId: string;
  text: string | undefined;
  /** Decoded blocks (parsed from JSON when sent form-encoded), or undefined. */
  blocks: unknown[] | undefined;
  thread_ts: string | undefined;
  /** Every request parameter as decoded (form values are strings, except JSON-decoded `blocks`/`attachments`). */
  raw: Record<string, unknown>;
  /** The `ts` this server answered with. */
  ts: string;
  receivedAt: Date;
}

export interface ReceivedSlackUpdate {
  channel: string;
  ts: string;
  text: string | undefined;
  blocks: unknown[] | undefined;
  /** Every request parameter as decoded. */
  raw: Record<string, unknown>;
  receivedAt: Date;
}

export interface ReceivedSlackRequest {
  method: string;
  /** HTTP status answered, or 'drop' / 'hang'. */
  status: number | 'drop' | 'hang';
  /** The Slack `error` code answered, if any. */
  error?: string;
  receivedAt: Date;
}

export interface SlackServerOptions {
  /** Bot token the server accepts; default 'xoxb-earshot-test-token'. */
  token?: string;
  /** App-level token (Socket Mode) the server accepts; default 'xapp-1-earshot-test-app-token'. */
  appToken?: string;
  /** Directory of Slack fixtures; default <repo>/../shared/fixtures/slack (used when present). */
  fixturesDir?: string;
  /** Directory of interactivity fixtures; default <repo>/../shared/fixtures/slack-interactivity. */
  interactivityFixturesDir?: string;
  /** Channels the workspace has, for conversations.list / conversations.info. */
  channels?: SlackChannel[];
}

export interface SlackChannel {
  id: string;
  /** Without the '#'. */
  name: string;
  /** The bot is in the channel. */
  isMember: boolean;
  isPrivate?: boolean;
}

export interface SlackServer {
  /** Base URL for SLACK_API_URL, ending in '/api/'. */
  url: string;
  token: string;
  appToken: string;
  /** Successfully posted messages, in arrival order. */
  messages: ReceivedSlackMessage[];
  /** Successful chat.update calls, in arrival order. */
  updates: ReceivedSlackUpdate[];
  /** Messages posted to a response_url (`${origin}/actions/…`), with the path. */
  responses: Array<{ path: string; body: unknown; receivedAt: Date }>;
  /** A response_url on this server, for interaction payloads. */
  responseUrl: string;
  /** The Socket Mode endpoint (apps.connections.open hands out its URLs). */
  socketMode: FakeSocketMode;
  /** The id this server gives a '#name' channel (an id is returned as is). */
  channelId(channel: string): string;
  /** The message as it stands now (its last update applied), by channel id and ts. */
  current(channelId: string, ts: string): { text: string | undefined; blocks: unknown[] | undefined } | undefined;
  /** Every API request, including faulted ones. */
  requests: ReceivedSlackRequest[];
  /** 'fixtures' when ../shared/fixtures/slack was replayed, 'builtin' otherwise. */
  fixtureSource: 'fixtures' | 'builtin';
  failNext(n: number, kind: SlackFault, options?: SlackFaultOptions): void;
  failRandomly(fraction: number, kinds: SlackFault[], seed: number, options?: SlackFaultOptions): void;
  /** Resolves with `messages` once at least `n` have arrived; rejects after `timeoutMs`. */
  waitForMessages(n: number, timeoutMs?: number): Promise<ReceivedSlackMessage[]>;
  /** Resolves with `updates` once at least `n` have arrived; rejects after `timeoutMs`. */
  waitForUpdates(n: number, timeoutMs?: number): Promise<ReceivedSlackUpdate[]>;
  close(): Promise<void>;
}

interface SlackFixtures {
  postMessageOk: Record<string, unknown>;
  authTestOk: Record<string, unknown>;
  /** A channel object as conversations.info returns it. */
  channel: Record<string, unknown>;
  ratelimitedBody: string;
  ratelimitedRetryAfter: number;
  serverErrorHtml: string;
  notFoundHtml: string;
  chatUpdateOk: Record<string, unknown>;
  hello: string;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SLACK_FIXTURES_DIR = path.resolve(repoRoot, '../shared/fixtures/slack');
export const SLACK_INTERACTIVITY_FIXTURES_DIR = path.resolve(repoRoot, '../shared/fixtures/slack-interactivity');

const BUILTIN_FIXTURES: SlackFixtures = {
  postMessageOk: {
    ok: true,
    channel: 'C0000000000',
    ts: '0000000000.000000',
    message: { bot_id: 'B0000000000', type: 'message', subtype: 'bot_message', text: '', ts: '0000000000.000000' },
  },
  authTestOk: {
    ok: true,
    url: 'https://earshot-test.slack.com/',
    team: 'earshot-test',
    user: 'earshot',
    team_id: 'T0000000000',
    user_id: 'U0000000000',
    bot_id: 'B0000000000',
    is_enterprise_install: false,
  },
  ratelimitedBody: '{"ok":false,"error":"ratelimited"}',
  ratelimitedRetryAfter: 1,
  channel: { id: 'C0000000000', name: 'general', is_channel: true, is_archived: false, is_member: false },
  serverErrorHtml:
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Server Error | Slack</title></head>' +
    '<body><h1>Server Error</h1><p>It seems like there is a problem connecting to our servers.</p></body></html>\n',
  notFoundHtml:
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head><title>404 Not Found</title></head>' +
    '<body><h1>Not Found</h1></body></html>\n',
  chatUpdateOk: { ok: true, channel: 'C0000000000', ts: '0000000000.000000', text: '', message: { text: '', user: 'U0000000000' } },
  hello: '{"type":"hello","num_connections":1,"debug_info":{"host":"applink-earshot-test"},"connection_info":{"app_id":"A0EARSHOT"}}',
};

function loadFixtures(dir: string, interactivityDir: string): { fixtures: SlackFixtures; source: 'fixtures' | 'builtin' } {
  if (!existsSync(dir) || !existsSync(interactivityDir)) return { fixtures: BUILTIN_FIXTURES, source: 'builtin' };
  const read = (name: string): string => readFileSync(path.join(dir, name), 'utf8');
  const readInteractivity = (name: string): string => readFileSync(path.join(interactivityDir, name), 'utf8');
  const meta = JSON.parse(read('ratelimited__429__python_sdk_mock.meta.json')) as {
    response?: { headers?: Record<string, string[]> };
  };
  const retryAfter = Number(meta.response?.headers?.['retry-after']?.[0] ?? 1);
  return {
    source: 'fixtures',
    fixtures: {
      postMessageOk: JSON.parse(read('chat_postMessage__200_ok__openapi_example.json')) as Record<string, unknown>,
      authTestOk: JSON.parse(read('auth_test__200_ok__recorded.json')) as Record<string, unknown>,
      channel: (JSON.parse(read('conversations_info__200__recorded.json')) as { channel: Record<string, unknown> }).channel,
      ratelimitedBody: read('ratelimited__429__python_sdk_mock.json'),
      ratelimitedRetryAfter: Number.isFinite(retryAfter) ? retryAfter : 1,
      serverErrorHtml: read('server_error__html_page__python_sdk_mock.html'),
      notFoundHtml: read('not_found__html_404__python_sdk_mock.html'),
      chatUpdateOk: JSON.parse(readInteractivity('chat_update__200_ok__openapi_example.json')) as Record<string, unknown>,
      hello: readInteractivity('socket_mode__hello__sdk_fixture.json'),
    },
  };
}


const JSON_PARAMS = new Set(['blocks', 'attachments', 'metadata']);

function decodeParams(body: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('application/json')) {
    if (!body.trim()) return {};
    const parsed: unknown = JSON.parse(body);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  }
  const params: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    params[key] = JSON_PARAMS.has(key) ? JSON.parse(value) : value;
  }
  return params;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(html);
}

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

interface PendingFault {
  kind: SlackFault;
  retryAfter?: number;
  method: string;
}

/** A stable Slack-like channel id for a '#name'; an id (C…, G…, D…) stays as it is. */
export function fakeChannelId(channel: string): string {
  if (/^[CGD][A-Z0-9]{2,}$/.test(channel)) return channel;
  const digest = createHash('sha256').update(channel).digest('hex').toUpperCase();
  return `C${digest.slice(0, 10)}`;
}

export async function startSlackServer(options: SlackServerOptions = {}): Promise<SlackServer> {
  const token = options.token ?? 'xoxb-earshot-test-token';
  const appToken = options.appToken ?? 'xapp-1-earshot-test-app-token';
  const { fixtures, source } = loadFixtures(options.fixturesDir ?? SLACK_FIXTURES_DIR, options.interactivityFixturesDir ?? SLACK_INTERACTIVITY_FIXTURES_DIR);
  const messages: ReceivedSlackMessage[] = [];
  const updates: ReceivedSlackUpdate[] = [];
  const responses: SlackServer['responses'] = [];
  const updateWaiters = new Set<() => void>();
  /** The current text and blocks of each posted message, by `${channelId}:${ts}`. */
  const current = new Map<string, { text: string | undefined; blocks: unknown[] | undefined }>();
  const requests: ReceivedSlackRequest[] = [];
  const queued: PendingFault[] = [];
  let random: { fraction: number; kinds: SlackFault[]; next: () => number; retryAfter?: number; method: string } | null = null;
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  let lastTsMicros = 0;

  function nextTs(): string {
    const micros = Math.max(Date.now() * 1000, lastTsMicros + 1);
    lastTsMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  function takeFault(method: string): PendingFault | null {
    const index = queued.findIndex((fault) => fault.method === '*' || fault.method === method);
    if (index >= 0) return queued.splice(index, 1)[0] ?? null;
    if (random && (random.method === '*' || random.method === method) && random.kinds.length > 0) {
      if (random.next() < random.fraction) {
        const kind = random.kinds[Math.floor(random.next() * random.kinds.length)] ?? random.kinds[0]!;
        return { kind, method, ...(random.retryAfter !== undefined ? { retryAfter: random.retryAfter } : {}) };
      }
    }
    return null;
  }

  function record(method: string, status: ReceivedSlackRequest['status'], error?: string): void {
    requests.push({ method, status, ...(error ? { error } : {}), receivedAt: new Date() });
  }

  function applyFault(fault: PendingFault, method: string, req: IncomingMessage, res: ServerResponse): void {
    const { kind } = fault;
    if (kind === 'ratelimited') {
      const retryAfter = fault.retryAfter ?? fixtures.ratelimitedRetryAfter;
      record(method, 429, 'ratelimited');
      sendJson(res, 429, fixtures.ratelimitedBody, { 'retry-after': String(retryAfter) });
      return;
    }
    if (kind === 'server_error') {
      record(method, 500);
      sendHtml(res, 500, fixtures.serverErrorHtml);
      return;
    }
    if (kind === 'drop') {
      record(method, 'drop');
      req.socket.destroy();
      return;
    }
    if (kind === 'hang') {
      record(method, 'hang');
      hanging.add(res);
      return;
    }
    if ('status' in kind) {
      record(method, kind.status);
      sendHtml(res, kind.status, fixtures.serverErrorHtml);
      return;
    }
    record(method, 200, kind.error);
    sendJson(res, 200, { ok: false, error: kind.error });
  }

  const channels = options.channels ?? [];
  function channelObject(c: SlackChannel): Record<string, unknown> {
    return { ...fixtures.channel, id: c.id, name: c.name, is_channel: !c.isPrivate, is_group: Boolean(c.isPrivate), is_private: Boolean(c.isPrivate), is_mpim: false, is_member: c.isMember };
  }

  function authError(req: IncomingMessage, method: string, params: Record<string, unknown>): string | null {
    const header = req.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : asString(params.token);
    if (!given) return 'not_authed';
    const wanted = method === 'apps.connections.open' ? appToken : token;
    if (given === wanted) return null;
    return given === token || given === appToken ? 'not_allowed_token_type' : 'invalid_auth';
  }

  function postMessage(params: Record<string, unknown>, res: ServerResponse): void {
    const channel = asString(params.channel);
    if (!channel) {
      record('chat.postMessage', 200, 'channel_not_found');
      sendJson(res, 200, { ok: false, error: 'channel_not_found' });
      return;
    }
    const text = asString(params.text);
    const blocks = Array.isArray(params.blocks) ? (params.blocks as unknown[]) : undefined;
    if (!text && !blocks?.length) {
      record('chat.postMessage', 200, 'no_text');
      sendJson(res, 200, { ok: false, error: 'no_text' });
      return;
    }
    const ts = nextTs();
    const threadTs = asString(params.thread_ts);
    const channelId = fakeChannelId(channel);
    messages.push({ channel, channelId, text, blocks, thread_ts: threadTs, raw: params, ts, receivedAt: new Date() });
    current.set(`${channelId}:${ts}`, { text, blocks });
    const template = fixtures.postMessageOk;
    const templateMessage = (template.message ?? {}) as Record<string, unknown>;
    const { attachments: _attachments, ...messageShape } = templateMessage;
    record('chat.postMessage', 200);
    sendJson(res, 200, {
      ...template,
      ok: true,
      channel: channelId,
      ts,
      message: {
        ...messageShape,
        text: text ?? '',
        ts,
        ...(blocks ? { blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
      },
    });
    for (const wake of waiters) wake();
  }

  function chatUpdate(params: Record<string, unknown>, res: ServerResponse): void {
    const channel = asString(params.channel) ?? '';
    const ts = asString(params.ts) ?? '';
    const fail = (error: string): void => {
      record('chat.update', 200, error);
      sendJson(res, 200, { ok: false, error });
    };
    if (!messages.some((m) => m.channelId === channel)) return fail('channel_not_found');
    const key = `${channel}:${ts}`;
    if (!current.has(key)) return fail('message_not_found');
    const text = asString(params.text);
    const blocks = Array.isArray(params.blocks) ? (params.blocks as unknown[]) : undefined;
    if (!text && !blocks?.length) return fail('no_text');
    updates.push({ channel, ts, text, blocks, raw: params, receivedAt: new Date() });
    current.set(key, { text, blocks });
    const template = fixtures.chatUpdateOk;
    const templateMessage = (template.message ?? {}) as Record<string, unknown>;
    record('chat.update', 200);
    sendJson(res, 200, {
      ...template,
      ok: true,
      channel,
      ts,
      text: text ?? '',
      message: { ...templateMessage, text: text ?? '', ...(blocks ? { blocks } : {}) },
    });
    for (const wake of updateWaiters) wake();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname.startsWith('/actions/')) {
      const text = await readBody(req);
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // recorded as text
      }
      responses.push({ path: url.pathname, body, receivedAt: new Date() });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    const match = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (!match || req.method !== 'POST') {
      sendHtml(res, 404, fixtures.notFoundHtml);
      return;
    }
    const method = match[1]!;
    const body = await readBody(req);
    let params: Record<string, unknown>;
    try {
      params = decodeParams(body, req.headers['content-type'] ?? '');
    } catch {
      record(method, 200, 'invalid_json');
      sendJson(res, 200, { ok: false, error: 'invalid_json' });
      return;
    }
    const fault = takeFault(method);
    if (fault) {
      applyFault(fault, method, req, res);
      return;
    }
    const denied = authError(req, method, params);
    if (denied) {
      record(method, 200, denied);
      sendJson(res, 200, { ok: false, error: denied });
      return;
    }
    if (method === 'chat.postMessage') {
      postMessage(params, res);
      return;
    }
    if (method === 'chat.update') {
      chatUpdate(params, res);
      return;
    }
    if (method === 'apps.connections.open') {
      record(method, 200);
      sendJson(res, 200, { ok: true, url: socketMode.issueUrl() });
      return;
    }
    if (method === 'auth.test') {
      record(method, 200);
      sendJson(res, 200, { ...fixtures.authTestOk, ok: true });
      return;
    }
    if (method === 'conversations.list') {
      const limit = Math.max(1, Math.min(1000, Number(asString(params.limit) ?? 100) || 100));
      const start = Number(asString(params.cursor) ?? 0) || 0;
      const page = channels.slice(start, start + limit);
      const next = start + limit < channels.length ? String(start + limit) : '';
      record(method, 200);
      sendJson(res, 200, { ok: true, channels: page.map(channelObject), response_metadata: { next_cursor: next } });
      return;
    }
    if (method === 'conversations.info') {
      const found = channels.find((c) => c.id === asString(params.channel));
      record(method, 200, found ? undefined : 'channel_not_found');
      sendJson(res, 200, found ? { ok: true, channel: channelObject(found) } : { ok: false, error: 'channel_not_found' });
      return;
    }
    record(method, 200, 'unknown_method');
    sendJson(res, 200, { ok: false, error: 'unknown_method' });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'fake_server_error', detail: String(err) });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('slack-server: no TCP address');
  const socketMode = attachSocketMode(server, fixtures.hello);

  return {
    url: `http://127.0.0.1:${address.port}/api/`,
    token,
    appToken,
    messages,
    updates,
    responses,
    responseUrl: `http://127.0.0.1:${address.port}/actions/T0EARSHOT/1/test`,
    socketMode,
    channelId: fakeChannelId,
    current(channelId, ts) {
      return current.get(`${channelId}:${ts}`);
    },
    requests,
    fixtureSource: source,
    failNext(n, kind, faultOptions = {}) {
      for (let i = 0; i < n; i += 1) {
        queued.push({
          kind,
          method: faultOptions.method ?? 'chat.postMessage',
          ...(faultOptions.retryAfter !== undefined ? { retryAfter: faultOptions.retryAfter } : {}),
        });
      }
    },
    failRandomly(fraction, kinds, seed, faultOptions = {}) {
      random =
        fraction > 0 && kinds.length > 0
          ? {
              fraction,
              kinds: [...kinds],
              next: mulberry32(seed),
              method: faultOptions.method ?? 'chat.postMessage',
              ...(faultOptions.retryAfter !== undefined ? { retryAfter: faultOptions.retryAfter } : {}),
            }
          : null;
    },
    waitForMessages(n, timeoutMs = 5_000) {
      return waitForCount(messages, n, waiters, timeoutMs, 'slack-server');
    },
    waitForUpdates(n, timeoutMs = 5_000) {
      return waitForCount(updates, n, updateWaiters, timeoutMs, 'slack-server', 'chat.update call(s)');
    },
    async close() {
      for (const res of hanging) res.socket?.destroy();
      hanging.clear();
      await socketMode.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
