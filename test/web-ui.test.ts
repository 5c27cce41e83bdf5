/**
 * The web UI end to end: a real earshot web server (real SQLite, the ops server on 127.0.0.1)
 * driven by headless Chromium. Sign-in, filters, search, keyboard triage with undo, bulk handle,
 * sentiment correction, snooze, live arrival, hostile mention text, CSRF, the 390 px layout,
 * labels and axe-core.
 *
 * Skips when /usr/bin/chromium is absent (install it with `apt-get install -y chromium`).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { wakeSnoozed } from '../src/triage/snooze.js';
import { axeViolations, chromiumTitle, hasChromium, launchChromium } from './helpers/browser.js';
import { until } from './helpers/wait.js';
import { startWebServer, TEST_PASSWORD, type WebServer } from './helpers/web.js';

const HOSTILE = {
  title: '"><svg onload="window.__pwned=4">',
  text: `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> acme refund now`,
  author: '<b onmouseover="window.__pwned=5">evil</b>',
  url: 'javascript:window.__pwned=3',
};

describe.skipIf(!hasChromium)(chromiumTitle('web UI in headless Chromium'), () => {
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let s: WebServer;
  let context: BrowserContext;
  let page: Page;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ({ browser, close: closeBrowser } = await launchChromium());
  });
  afterAll(async () => {
    await closeBrowser?.();
  });

  beforeEach(async () => {
    s = await startWebServer();
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    page = await context.newPage();
    dialogs.length = 0;
    pageErrors.length = 0;
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  afterEach(async () => {
    await context?.close();
    await s?.close();
  });

  /** Seeds n mentions, newest first in the inbox: m0 is the newest. Returns their ids, m0 first. */
  function seedRows(n: number, extra: (i: number) => Record<string, unknown> = () => ({})): number[] {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      ids.push(s.seed({ id: `m${i}`, at: new Date(Date.now() - (i + 1) * 60_000).toISOString(), text: `acme mention number ${i}`, author: `author${i}`, ...extra(i) }));
    }
    return ids;
  }

  async function signIn(name = 'maria'): Promise<void> {
    await page.goto(`${s.url}/`);
    await page.waitForURL(/\/login/);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByLabel('Your name (shown in history)').fill(name);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${s.url}/`);
  }

  const status = async (id: number) => (await s.store.getMention(id))!.status;
  const rowIds = async () => (await page.locator('#rows > li.row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))))) as number[];
  const currentId = async () => Number(await page.locator('#rows > li.row.current').getAttribute('data-id'));

  it('signs in with the field labelled Password, and refuses a wrong one', async () => {
    await page.goto(`${s.url}/brands/acme`);
    await page.waitForURL(/\/login\?next=%2Fbrands%2Facme/);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('That password is not right.');
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${s.url}/brands/acme`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Acme Cloud');
    // The session cookie is HttpOnly: page scripts cannot read it.
    expect(await page.evaluate('document.cookie')).not.toContain('earshot_session');
    const cookie = (await context.cookies()).find((c) => c.name === 'earshot_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false });
  });

  it('filters by URL and by the form, and searches', async () => {
    seedRows(6, (i) => ({ sentiment: i % 2 ? 'negative' : 'neutral', text: i === 4 ? 'acme lost our data, want a refund' : `acme mention number ${i}` }));
    await signIn();
    await page.goto(`${s.url}/?sentiment=negative`);
    expect(await page.locator('#rows > li.row').count()).toBe(3);
    await page.goto(`${s.url}/`);
    await page.getByText('More filters').click();
    await page.getByLabel('Sentiment', { exact: true }).first().selectOption('neutral');
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await page.waitForURL(/sentiment=neutral/);
    expect(await page.locator('#rows > li.row').count()).toBe(3);
    await page.goto(`${s.url}/`);
    await page.keyboard.press('/');
    await page.keyboard.type('refund');
    await page.keyboard.press('Enter');
    await page.waitForURL(/q=refund/);
    expect(await page.locator('#rows > li.row .text').allTextContents()).toEqual(['acme lost our data, want a refund']);
  });

  it('triages with the keyboard: j/k move, e handles and moves on, # marks not relevant, u undoes', async () => {
    const ids = seedRows(4);
    await signIn();
    expect(await rowIds()).toEqual(ids);
    await page.keyboard.press('j');
    expect(await currentId()).toBe(ids[0]);
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    expect(await currentId()).toBe(ids[0]);
    await page.keyboard.press('e');
    await until(async () => (await status(ids[0]!)) === 'handled', 5_000, 'e to handle the first mention');
    expect(await currentId()).toBe(ids[1]);
    await expect.poll(() => page.locator(`#m-${ids[0]}`).getAttribute('class')).toContain('status-handled');
    await page.keyboard.press('#');
    await until(async () => (await status(ids[1]!)) === 'irrelevant', 5_000, '# to mark the second not relevant');
    expect(await currentId()).toBe(ids[2]);
    // "Not relevant" offers the config change that keeps such mentions out.
    await expect.poll(() => page.locator('#toast a').getAttribute('href')).toBe(`/mentions/${ids[1]}#exclude-title`);
    await page.keyboard.press('u');
    await until(async () => (await status(ids[1]!)) === 'open', 5_000, 'u to undo');
    await expect.poll(() => page.locator(`#m-${ids[1]}`).getAttribute('class')).toContain('status-open');
    await expect.poll(() => page.locator('#toast').textContent()).toContain('Undid "irrelevant"');
    expect(await status(ids[0]!)).toBe('handled');
    const history = await s.store.listEvents(ids[0]!);
    expect(history.map((e) => [e.action, e.actor.name, e.actor.kind])).toEqual([['handle', 'maria', 'ui']]);
    expect(pageErrors).toEqual([]);
  });

  it('keys do nothing while typing, and can be turned off', async () => {
    const ids = seedRows(2);
    await signIn();
    await page.getByLabel('Search').click();
    await page.keyboard.type('e#u');
    expect(await page.getByLabel('Search').inputValue()).toBe('e#u');
    await page.keyboard.press('Escape');
    await page.goto(`${s.url}/settings`);
    await page.getByLabel('Off (for screen readers and other tools that use single keys)').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/saved=1/);
    await page.goto(`${s.url}/`);
    expect(await page.locator('body').getAttribute('data-keys')).toBe('off');
    await page.keyboard.press('j');
    await page.keyboard.press('e');
    // Give a (wrongly) sent request time to land; none may.
    await page.waitForLoadState('networkidle');
    expect(await status(ids[0]!)).toBe('open');
  });

  it('bulk: select with x and the boxes, mark handled, undo as one', async () => {
    const ids = seedRows(4);
    await signIn();
    await page.keyboard.press('j');
    await page.keyboard.press('x');
    await page.getByLabel('Select the mention by author2').check();
    await expect.poll(() => page.locator('#selected-count').textContent()).toBe('2 selected');
    await page.getByLabel('With the selected').selectOption('handle');
    await page.getByRole('button', { name: 'Apply to selected' }).click();
    await until(async () => (await status(ids[0]!)) === 'handled' && (await status(ids[2]!)) === 'handled', 5_000, 'bulk handle');
    expect([await status(ids[1]!), await status(ids[3]!)]).toEqual(['open', 'open']);
    await expect.poll(() => page.locator('#toast').textContent()).toContain('2 of 2 mentions changed.');
    await expect.poll(() => page.locator(`#m-${ids[2]}`).getAttribute('class')).toContain('status-handled');
    await page.locator('#toast').getByRole('button', { name: 'Undo' }).click();
    await until(async () => (await status(ids[0]!)) === 'open' && (await status(ids[2]!)) === 'open', 5_000, 'undo of the bulk action');
  });

  it('corrects sentiment with 1/2/3 and keeps the analyzer label as an example', async () => {
    const [id] = seedRows(1, () => ({ sentiment: 'positive', text: 'great, acme deleted my backups' }));
    await signIn();
    await page.keyboard.press('j');
    await page.keyboard.press('1');
    await until(async () => (await s.store.getMention(id!))!.sentiment.label === 'negative', 5_000, 'sentiment corrected');
    await expect.poll(() => page.locator(`#m-${id} .sent summary`).textContent()).toContain('Negative');
    expect((await s.store.listCorrections()).map((c) => [c.text, c.analyzerLabel, c.label, c.actorName])).toEqual([['great, acme deleted my backups', 'positive', 'negative', 'maria']]);
  });

  it('snoozes, and the mention comes back open at its time', async () => {
    const [id] = seedRows(1);
    await signIn();
    await page.keyboard.press('j');
    await page.keyboard.press('s');
    expect(await page.evaluate('document.activeElement.name')).toBe('snooze');
    await page.keyboard.press('Escape');
    await page.getByLabel('Snooze for').selectOption('4h');
    await page.locator(`#m-${id}`).getByRole('button', { name: 'Snooze' }).click();
    await until(async () => (await status(id!)) === 'snoozed', 5_000, 'snooze');
    const until4h = (await s.store.getMention(id!))!.snoozedUntil!;
    expect(Date.parse(until4h) - Date.now()).toBeGreaterThan(3.9 * 3_600_000);
    await wakeSnoozed(s.store, new Date(Date.parse(until4h) + 1));
    expect(await status(id!)).toBe('open');
    await page.goto(`${s.url}/mentions/${id}`);
    expect(await page.locator('.history').textContent()).toContain('reopened it (snooze ended)');
  });

  it('shows a new mention live as "1 new — press ." and inserts it without moving the current row', async () => {
    const ids = seedRows(30);
    await signIn();
    for (let i = 0; i < 12; i++) await page.keyboard.press('j');
    const current = await currentId();
    expect(current).toBe(ids[11]);
    await expect.poll(() => page.locator('body').getAttribute('data-live')).toBe('stream');
    const before = (await page.locator(`#m-${current}`).boundingBox())!.y;
    const fresh = s.seed({ id: 'fresh', at: new Date().toISOString(), text: 'acme brand new mention', author: 'newcomer' });
    await expect.poll(() => page.locator('#banner').textContent(), { timeout: 10_000 }).toBe('1 new — press .');
    expect(await page.locator('#banner').isVisible()).toBe(true);
    // Arriving changed nothing on screen yet.
    expect((await page.locator(`#m-${current}`).boundingBox())!.y).toBe(before);
    await page.keyboard.press('.');
    await expect.poll(() => rowIds()).toEqual([fresh, ...ids]);
    expect(await currentId()).toBe(current);
    expect(Math.abs((await page.locator(`#m-${current}`).boundingBox())!.y - before)).toBeLessThanOrEqual(1);
    expect(await page.locator('#banner').isHidden()).toBe(true);
    // The inserted row works like the others.
    await page.locator(`#m-${fresh}`).getByRole('button', { name: 'Handled' }).click();
    await until(async () => (await status(fresh)) === 'handled', 5_000, 'handle the new row');
  });

  it('falls back to polling when a proxy refuses the event stream, and still shows new mentions', async () => {
    seedRows(3);
    await page.clock.install();
    await page.route('**/events', (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>Bad gateway</h1>' }));
    await signIn();
    await expect.poll(() => page.locator('body').getAttribute('data-live')).toBe('polling');
    s.seed({ id: 'fresh', at: new Date().toISOString(), text: 'acme brand new mention' });
    await page.clock.runFor(16_000);
    await expect.poll(() => page.locator('#banner').textContent()).toBe('1 new — press .');
  });

  it('updates a row when the mention changes elsewhere (API, Slack)', async () => {
    const [id] = seedRows(1);
    await signIn();
    await expect.poll(() => page.locator('body').getAttribute('data-live')).toBe('stream');
    const { applyAction } = await import('../src/triage/actions.js');
    await applyAction(s.store, { mentionId: id!, action: 'handle', actor: { kind: 'slack', id: 'U1', name: '@jo' } });
    await expect.poll(() => page.locator(`#m-${id}`).getAttribute('class'), { timeout: 10_000 }).toContain('status-handled');
  });

  it('never runs hostile mention text: script, onerror, javascript: links', async () => {
    const id = s.seed({ id: 'hostile', ...HOSTILE, sentiment: 'negative' });
    await signIn();
    for (const path of ['/', `/mentions/${id}`, '/brands/acme', `/?q=${encodeURIComponent('<script>')}`]) {
      await page.goto(`${s.url}${path}`);
      await page.locator('body').hover();
      const probe = (await page.evaluate(`(() => ({
        pwned: window.__pwned ?? null,
        scripts: [...document.scripts].map((s) => s.getAttribute('src')),
        handlers: [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes].filter((a) => a.name.startsWith('on')).map((a) => el.tagName + '.' + a.name)),
        hrefs: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
        text: document.body.innerText,
      }))()`)) as { pwned: number | null; scripts: string[]; handlers: string[]; hrefs: string[]; text: string };
      expect(probe.pwned).toBeNull();
      expect(probe.scripts.every((src) => /^\/static\/(htmx\.min|app)\.js\?v=/.test(src))).toBe(true);
      expect(probe.handlers).toEqual([]);
      expect(probe.hrefs.filter((h) => /^\s*javascript:/i.test(h))).toEqual([]);
      if (path !== '/brands/acme' && !path.includes('q=')) expect(probe.text).toContain('<img src=x onerror="window.__pwned = 2"> acme refund now');
    }
    expect(dialogs).toEqual([]);
  });

  it('refuses a state change without the CSRF token (403) and changes nothing', async () => {
    const [id] = seedRows(1);
    await signIn();
    const result = (await page.evaluate(`fetch('/mentions/${id}/actions', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=handle' }).then((r) => r.status)`)) as number;
    expect(result).toBe(403);
    const wrong = (await page.evaluate(`fetch('/mentions/${id}/actions', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': 'forged' }, body: 'action=handle' }).then((r) => r.status)`)) as number;
    expect(wrong).toBe(403);
    expect(await status(id!)).toBe('open');
    expect(await s.store.listEvents(id!)).toEqual([]);
  });

  it('is usable 390 px wide: no sideways scrolling, actions reachable', async () => {
    const [id] = seedRows(3, (i) => ({ text: `acme ${'averyveryverylongwordwithoutanyspaces'.repeat(i + 1)} https://example.com/${'x'.repeat(80)}` }));
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn();
    for (const path of ['/', `/mentions/${id}`, '/brands/acme', '/views', '/settings']) {
      await page.goto(`${s.url}${path}`);
      const widths = (await page.evaluate('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })')) as { scroll: number; client: number };
      expect(widths.scroll, path).toBeLessThanOrEqual(widths.client);
    }
    await page.goto(`${s.url}/`);
    await page.locator(`#m-${id}`).getByRole('button', { name: 'Handled' }).click();
    await until(async () => (await status(id!)) === 'handled', 5_000, 'handle on a phone');
  });

  it('labels every control, and axe-core finds no serious violation on any page', async () => {
    const [id] = seedRows(3, (i) => ({ sentiment: (['negative', 'neutral', 'positive'] as const)[i], urgency: i === 0 ? 'critical' : 'low', urgencyReasons: i === 0 ? ['complaint to @acmecloud'] : [] }));
    const { applyAction } = await import('../src/triage/actions.js');
    await applyAction(s.store, { mentionId: id!, action: 'irrelevant', actor: { kind: 'ui', id: 'jo', name: 'jo' } });
    await applyAction(s.store, { mentionId: id!, action: 'note', value: 'spam account', actor: { kind: 'ui', id: 'jo', name: 'jo' } });
    const [, second] = await s.store.listInbox({}, { limit: 3 }).then((p) => p.mentions.map((m) => m.id));
    s.db.prepare('UPDATE mentions SET flag_offensive = 0.93, flag_hate = 0.05, flag_irony = 0.6 WHERE id = ?').run(second);
    await page.goto(`${s.url}/login`);
    expect(await axeViolations(page)).toEqual([]);
    await signIn();
    for (const path of ['/', '/?status=all', `/mentions/${id}`, '/brands/acme', '/brands/acme?range=24h', '/views', '/settings']) {
      await page.goto(`${s.url}${path}`);
      const unlabelled = (await page.evaluate(`[...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
        .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
        .map((el) => el.outerHTML)`)) as string[];
      expect(unlabelled, path).toEqual([]);
      expect(await axeViolations(page), path).toEqual([]);
    }
    await page.goto(`${s.url}/`);
    // Raised analysis flags show on the row (offensive 0.93, irony 0.6; hate 0.05 is not raised).
    expect(await page.locator(`#m-${second} .flag`).allTextContents()).toEqual(['offensive', 'irony']);
    await page.keyboard.press('?');
    expect(await page.locator('#help').isVisible()).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
  });
});
