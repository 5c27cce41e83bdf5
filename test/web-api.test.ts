/**
 * The web server over plain HTTP: the UI off without a password, sign-in and its rate limit,
 * sessions, CSRF, the trusted-proxy header, security headers, the JSON API (SPEC "Triage") with
 * its errors, static files, and the event stream. Real server on 127.0.0.1, real SQLite.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startWebServer, signIn, TEST_API_TOKEN, TEST_PASSWORD, type WebServer } from './helpers/web.js';

let s: WebServer | null = null;
afterEach(async () => {
  await s?.close();
  s = null;
});

const bearer = { authorization: `Bearer ${TEST_API_TOKEN}` };
const json = { ...bearer, 'content-type': 'application/json' };

async function action(url: string, id: number, body: unknown, headers: Record<string, string> = json) {
  const res = await fetch(`${url}/api/mentions/${id}/actions`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the UI is never open to anyone', () => {
  it('is off without a password and says how to turn it on; the API is off without a token', async () => {
    s = await startWebServer({ env: {} });
    const page = await fetch(`${s.url}/`);
    expect(page.status).toBe(503);
    const text = await page.text();
    expect(text).toContain('The earshot web UI is off');
    expect(text).toContain('earshot password');
    expect(text).toContain('EARSHOT_UI_PASSWORD_HASH');
    expect((await fetch(`${s.url}/login`)).status).toBe(503);
    const api = await fetch(`${s.url}/api/mentions`);
    expect(api.status).toBe(401);
    expect(await api.json()).toEqual({ error: 'the API is off: set EARSHOT_API_TOKEN in .env and restart earshot' });
    expect((await fetch(`${s.url}/api/mentions`, { headers: { authorization: 'Bearer anything-at-all-here' } })).status).toBe(401);
    // The ops endpoints stay open.
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('sends people who are not signed in to /login, and refuses their writes', async () => {
    s = await startWebServer();
    const res = await fetch(`${s.url}/brands/acme?range=24h`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Fbrands%2Facme%3Frange%3D24h');
    const id = s.seed({ id: 'a', text: 'acme' });
    const post = await fetch(`${s.url}/mentions/${id}/actions`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=handle' });
    expect(post.status).toBe(401);
    expect((await s.store.getMention(id))!.status).toBe('open');
  });

  it('signs in with a scrypt hash from `earshot password` and sets a strict session cookie', async () => {
    const { hashPassword } = await import('../src/web/password.js');
    s = await startWebServer({ env: { EARSHOT_UI_PASSWORD_HASH: await hashPassword(TEST_PASSWORD) } });
    const form = await fetch(`${s.url}/login`);
    const loginCookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
    const token = /name="_login" value="([^"]+)"/.exec(await form.text())![1]!;
    const post = (password: string, extra: Record<string, string> = {}) =>
      fetch(`${s!.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie, 'x-forwarded-proto': 'https', ...extra },
        body: new URLSearchParams({ _login: token, password, name: 'jo', next: '/mentions/1' }).toString(),
      });
    expect((await post('wrong password')).status).toBe(401);
    const ok = await post(TEST_PASSWORD);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/mentions/1');
    const session = ok.headers.getSetCookie().find((c) => c.startsWith('earshot_session='))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/; Path=\//);
    // The database holds only a hash of the cookie value.
    const value = session.split(';')[0]!.split('=')[1]!;
    const rows = s.db.prepare('SELECT id FROM ui_sessions').all() as Array<{ id: string }>;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).not.toContain(value);
    // A login form from another browser (no matching cookie) is refused.
    const forged = await fetch(`${s.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _login: token, password: TEST_PASSWORD }).toString(),
    });
    expect(forged.status).toBe(403);
    // next= never leaves the site.
    const offsite = await fetch(`${s.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
      body: new URLSearchParams({ _login: token, password: TEST_PASSWORD, next: '//evil.example/x' }).toString(),
    });
    expect(offsite.headers.get('location')).toBe('/');
  });

  it('rate-limits failed sign-ins per client: the 6th attempt in 15 minutes waits, even with the right password', async () => {
    s = await startWebServer();
    const form = await fetch(`${s.url}/login`);
    const cookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
    const token = /name="_login" value="([^"]+)"/.exec(await form.text())![1]!;
    const attempt = (password: string) =>
      fetch(`${s!.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ _login: token, password }).toString(),
      });
    for (let i = 0; i < 5; i++) expect((await attempt(`guess ${i}`)).status).toBe(401);
    const blocked = await attempt(TEST_PASSWORD);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(await blocked.text()).toContain('Too many failed sign-ins.');
  });

  it('signs in through a trusted proxy header only from a trusted address', async () => {
    s = await startWebServer({ env: { EARSHOT_UI_TRUSTED_HEADER: 'X-Forwarded-User' } });
    const viaProxy = await fetch(`${s.url}/`, { headers: { 'x-forwarded-user': 'alice@example.com' } });
    expect(viaProxy.status).toBe(200);
    expect(await viaProxy.text()).toContain('alice@example.com');
    await s.close();
    s = await startWebServer({ env: { EARSHOT_UI_TRUSTED_HEADER: 'X-Forwarded-User', EARSHOT_UI_TRUSTED_PROXIES: '10.1.2.3' } });
    const direct = await fetch(`${s.url}/`, { headers: { 'x-forwarded-user': 'alice@example.com' }, redirect: 'manual' });
    expect(direct.status).toBe(303);
    expect(direct.headers.get('location')).toMatch(/^\/login/);
  });

  it('rejects bad auth settings by name', async () => {
    const { authSettings } = await import('../src/web/auth.js');
    expect(() => authSettings({ EARSHOT_UI_PASSWORD_HASH: 'hunter2' })).toThrow('EARSHOT_UI_PASSWORD_HASH is not an earshot password hash: set it to the line `earshot password` prints');
    expect(() => authSettings({ EARSHOT_API_TOKEN: 'short' })).toThrow('EARSHOT_API_TOKEN is shorter than 16 characters');
    expect(() => authSettings({ EARSHOT_UI_TRUSTED_PROXIES: 'proxy.local' })).toThrow('EARSHOT_UI_TRUSTED_PROXIES: "proxy.local" is not an IP address');
    expect(authSettings({ EARSHOT_UI_PASSWORD: 'x'.repeat(12) }).warnings).toEqual([
      'EARSHOT_UI_PASSWORD is for development: for anything else put the line `earshot password` prints in .env instead',
    ]);
  });
});

describe('CSRF and headers', () => {
  it('refuses every browser write without the session token, with 403, before anything changes', async () => {
    s = await startWebServer();
    const id = s.seed({ id: 'a', text: 'acme' });
    const { cookie, csrf } = await signIn(s.url);
    const form = { 'content-type': 'application/x-www-form-urlencoded', cookie };
    const writes: Array<[string, string]> = [
      [`/mentions/${id}/actions`, 'action=handle'],
      ['/bulk', `ids=${id}&action=handle`],
      ['/undo', ''],
      ['/views', 'name=x&query=status%3Dall'],
      ['/settings', 'keyboard=off'],
      ['/logout', ''],
    ];
    for (const [path, body] of writes) {
      for (const token of ['', '&_csrf=forged']) {
        const res = await fetch(`${s.url}${path}`, { method: 'POST', headers: form, body: body + token, redirect: 'manual' });
        expect(res.status, `${path}${token}`).toBe(403);
      }
    }
    const api = await fetch(`${s.url}/api/mentions/${id}/actions`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{"action":"handle"}' });
    expect(api.status).toBe(403);
    // A huge body is refused before anything reads it, with or without a Content-Length.
    const huge = 'note=' + 'x'.repeat(200_000);
    expect((await fetch(`${s.url}/mentions/${id}/actions`, { method: 'POST', headers: { ...form, 'x-csrf-token': csrf }, body: huge })).status).toBe(413);
    const chunked = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(huge)), c.close()) });
    expect((await fetch(`${s.url}/mentions/${id}/actions`, { method: 'POST', headers: { ...form, 'x-csrf-token': csrf }, body: chunked, duplex: 'half' } as RequestInit)).status).toBe(413);
    expect((await s.store.getMention(id))!.status).toBe('open');
    expect(await s.store.listEvents(id)).toEqual([]);
    expect(await s.store.listViews()).toEqual([]);
    // Each page carries the token masked differently (pages are gzipped: BREACH), and every mask works.
    const again = /name="_csrf" value="([^"]+)"/.exec(await (await fetch(`${s.url}/views`, { headers: { cookie } })).text())![1]!;
    expect(again).not.toBe(csrf);
    const viaOther = await fetch(`${s.url}/settings`, { method: 'POST', headers: form, body: `keyboard=on&_csrf=${encodeURIComponent(again)}`, redirect: 'manual' });
    expect(viaOther.status).toBe(303);
    // The session still works (logout was refused) and the token is accepted from the header too.
    const ok = await fetch(`${s.url}/mentions/${id}/actions`, { method: 'POST', headers: { ...form, 'x-csrf-token': csrf }, body: 'action=handle', redirect: 'manual' });
    expect(ok.status).toBe(303);
    expect((await s.store.getMention(id))!.status).toBe('handled');
  });

  it('serves every page with a strict Content-Security-Policy and no caching', async () => {
    s = await startWebServer();
    const { cookie } = await signIn(s.url);
    for (const path of ['/', '/login', '/brands/acme', '/api/mentions']) {
      const res = await fetch(`${s.url}${path}`, { headers: { cookie } });
      expect(res.headers.get('content-security-policy'), path).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    const page = await (await fetch(`${s.url}/`, { headers: { cookie } })).text();
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page).not.toMatch(/\sstyle="/);
    expect(page).not.toMatch(/\son[a-z]+="/);
  });

  it('serves its own static files, versioned and cached, gzipped when asked', async () => {
    s = await startWebServer();
    const page = await (await fetch(`${s.url}/login`)).text();
    const src = /src="(\/static\/htmx\.min\.js\?v=[^"]+)"/.exec(page)![1]!;
    const res = await fetch(`${s.url}${src}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect((await res.text()).length).toBeGreaterThan(40_000);
    const again = await fetch(`${s.url}${src}`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${s.url}/static/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${s.url}/static/app.js.map`)).status).toBe(404);
  });
});

describe('JSON API', () => {
  it('lists mentions newest first with filters and a cursor, in the shape SPEC gives', async () => {
    s = await startWebServer();
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(s.seed({ id: `m${i}`, at: new Date(Date.UTC(2026, 10, 20, 10, i)).toISOString(), text: i === 3 ? 'acme refund please' : `acme ${i}`, sentiment: i % 2 ? 'negative' : 'neutral' }));
    }
    const none = await fetch(`${s.url}/api/mentions`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="earshot"');
    expect((await fetch(`${s.url}/api/mentions`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);

    const first = (await (await fetch(`${s.url}/api/mentions?limit=3`, { headers: bearer })).json()) as { mentions: Array<Record<string, unknown>>; next: string };
    expect(first.mentions.map((m) => m.id)).toEqual([ids[6], ids[5], ids[4]]);
    expect(Object.keys(first.mentions[0]!)).toEqual(
      expect.arrayContaining(['id', 'brand', 'source', 'url', 'author', 'title', 'text', 'published', 'sentiment', 'urgency', 'flags', 'status', 'assignee', 'tags']),
    );
    expect(first.mentions[0]).toMatchObject({ brand: 'acme', source: 'twitter', status: 'open', assignee: null, tags: [], sentiment: { label: 'neutral', score: 0 }, urgency: { level: 'low' } });
    const rest = (await (await fetch(`${s.url}/api/mentions?limit=3&cursor=${first.next}`, { headers: bearer })).json()) as { mentions: Array<{ id: number }>; next: string | null };
    expect(rest.mentions.map((m) => m.id)).toEqual([ids[3], ids[2], ids[1]]);
    const negative = (await (await fetch(`${s.url}/api/mentions?sentiment=negative&brand=acme`, { headers: bearer })).json()) as { mentions: Array<{ id: number }> };
    expect(negative.mentions.map((m) => m.id)).toEqual([ids[5], ids[3], ids[1]]);
    // Analysis flags: shown when raised, filterable.
    s.db.prepare('UPDATE mentions SET flag_offensive = 0.91, flag_hate = 0.1, flag_irony = 0.2 WHERE id = ?').run(ids[2]);
    const flagged = (await (await fetch(`${s.url}/api/mentions?flag=offensive`, { headers: bearer })).json()) as { mentions: Array<{ id: number; flags: unknown }> };
    expect(flagged.mentions).toEqual([expect.objectContaining({ id: ids[2], flags: { offensive: 0.91, hate: 0.1, irony: 0.2 } })]);
    const search = (await (await fetch(`${s.url}/api/mentions?q=refund`, { headers: bearer })).json()) as { mentions: Array<{ id: number }> };
    expect(search.mentions.map((m) => m.id)).toEqual([ids[3]]);
    // The search is earshot's query language, as in a brand query: OR, exclusions, phrases.
    const q = async (query: string) =>
      ((await (await fetch(`${s!.url}/api/mentions?q=${encodeURIComponent(query)}`, { headers: bearer })).json()) as { mentions: Array<{ id: number }> }).mentions.map((m) => m.id);
    expect(await q('refund OR 5')).toEqual([ids[5], ids[3]]);
    expect(await q('acme -refund -5 -6')).toEqual([ids[4], ids[2], ids[1], ids[0]]);
    expect(await q('"acme refund"')).toEqual([ids[3]]);
    expect(await q('e-bike')).toEqual([]);
  });

  it('says what is wrong with a request', async () => {
    s = await startWebServer();
    const id = s.seed({ id: 'a', text: 'acme' });
    const get = async (q: string) => {
      const res = await fetch(`${s!.url}/api/mentions${q}`, { headers: bearer });
      return { status: res.status, body: (await res.json()) as { error: string } };
    };
    expect(await get('?status=done')).toEqual({ status: 400, body: { error: 'status=done: expected open, handled, irrelevant, snoozed or all' } });
    expect(await get('?limit=500')).toEqual({ status: 400, body: { error: 'limit=500: expected a whole number from 1 to 200' } });
    expect(await get(`?q=${encodeURIComponent('refund OR (acme')}`)).toEqual({ status: 400, body: { error: 'q=refund OR (acme: unclosed (: add a closing ) (at character 11)' } });
    expect((await get('?colour=red')).body.error).toMatch(/^colour: not a filter; use brand, source/);
    expect((await get('?cursor=nonsense')).body.error).toMatch(/^cursor: cursor "nonsense" is not one earshot gave out/);
    expect(await action(s.url, 999, { action: 'handle' })).toEqual({ status: 404, body: { error: 'mention 999 does not exist' } });
    expect(await action(s.url, id, { value: 'x' })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^action: required/) } });
    expect(await action(s.url, id, { action: 'snooze', value: 'later' })).toEqual({
      status: 400,
      body: { error: 'snooze "later": expected a duration (4h, 1d, 1w) or a time (2026-12-01T09:00Z)' },
    });
    const bad = await fetch(`${s.url}/api/mentions/${id}/actions`, { method: 'POST', headers: json, body: '{nope' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'the body must be JSON: {"action": "handle", "value": "..."}' });
    expect((await fetch(`${s.url}/api/nothing`, { headers: bearer })).status).toBe(404);
  });

  it('acts on a mention and returns it with its history; repeats change nothing; undo conflicts are 409', async () => {
    s = await startWebServer();
    const id = s.seed({ id: 'a', text: 'acme is down', sentiment: 'neutral' });
    const handled = await action(s.url, id, { action: 'handle' });
    expect(handled.status).toBe(200);
    expect(handled.body).toMatchObject({ id, status: 'handled', history: [{ action: 'handle', actor: { kind: 'api', id: 'api', name: 'api' }, undone: false }] });
    expect((await action(s.url, id, { action: 'handle' })).body.history).toHaveLength(1);
    await action(s.url, id, { action: 'tag', value: 'Outage' });
    await action(s.url, id, { action: 'assign', value: 'maria' });
    const corrected = await action(s.url, id, { action: 'sentiment', value: 'negative' });
    expect(corrected.body).toMatchObject({ tags: ['outage'], assignee: 'maria', sentiment: { label: 'negative', score: -0.6, correctedFrom: 'neutral' } });
    const handleEvent = (corrected.body.history as Array<{ id: number; action: string }>)[0]!;
    await action(s.url, id, { action: 'reopen' });
    expect(await action(s.url, id, { action: 'undo', value: handleEvent.id })).toEqual({
      status: 409,
      body: { error: 'cannot undo "handle" by api: the mention changed since (status is now open)' },
    });
    const one = (await (await fetch(`${s.url}/api/mentions/${id}`, { headers: bearer })).json()) as { history: unknown[]; alerts: unknown[] };
    expect(one.history).toHaveLength(5);
    expect(one.alerts).toEqual([]);
    const corrections = (await (await fetch(`${s.url}/api/corrections`, { headers: bearer })).json()) as { corrections: Array<{ label: string; analyzerLabel: string }> };
    expect(corrections.corrections.map((c) => [c.analyzerLabel, c.label])).toEqual([['neutral', 'negative']]);
  });

  it('a signed-in browser can use the API with its CSRF token', async () => {
    s = await startWebServer();
    const id = s.seed({ id: 'a', text: 'acme' });
    const { cookie, csrf } = await signIn(s.url, TEST_PASSWORD, 'jo');
    const res = await fetch(`${s.url}/api/mentions/${id}/actions`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: '{"action":"assign","value":"jo"}' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { history: Array<{ actor: unknown }> }).history[0]!.actor).toEqual({ kind: 'ui', id: 'jo', name: 'jo' });
  });
});

describe('dashboards', () => {
  it('keep their figures a minute, then show them at once while fresh ones are computed', async () => {
    const clock = { now: Date.now() };
    s = await startWebServer({ now: () => new Date(clock.now) });
    s.seed({ id: 'a', text: 'acme one' });
    const { cookie } = await signIn(s.url);
    const total = async () => {
      const html = await (await fetch(`${s!.url}/brands/acme?range=24h`, { headers: { cookie } })).text();
      return Number(/<p class="big">(\d+)<\/p><p>mentions<\/p>/.exec(html)?.[1]);
    };
    expect(await total()).toBe(1);
    s.seed({ id: 'b', text: 'acme two' });
    expect(await total()).toBe(1); // within the minute: as computed
    clock.now += 2 * 60_000;
    expect(await total()).toBe(1); // stale: shown at once, a new computation starts
    await expect.poll(total).toBe(2);
  });
});

describe('live events', () => {
  it('streams hello, then mentions when one is stored, then change when one is triaged', async () => {
    s = await startWebServer({ liveIntervalMs: 50 });
    const first = s.seed({ id: 'a', text: 'acme' });
    const { cookie } = await signIn(s.url);
    const controller = new AbortController();
    const res = await fetch(`${s.url}/events`, { headers: { cookie }, signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const reader = res.body!.getReader();
    let buffer = '';
    const next = async (event: string): Promise<Record<string, unknown>> => {
      for (;;) {
        const match = new RegExp(`event: ${event}\\ndata: (.*)\\n\\n`).exec(buffer);
        if (match) {
          buffer = buffer.slice(match.index + match[0].length);
          return JSON.parse(match[1]!) as Record<string, unknown>;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${event}`);
        buffer += new TextDecoder().decode(value);
      }
    };
    expect(await next('hello')).toEqual({ latest: first });
    const second = s.seed({ id: 'b', text: 'acme again' });
    expect(await next('mentions')).toEqual({ type: 'mentions', latest: second });
    await action(s.url, first, { action: 'handle' });
    expect(await next('change')).toEqual({ type: 'change', id: first, status: 'handled' });
    controller.abort();
    await expect.poll(() => s!.web.live.listenerCount).toBe(0);
  });
});
