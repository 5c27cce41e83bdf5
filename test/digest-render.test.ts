/**
 * The HTML digest rendered in a real browser (Debian's chromium, driven by playwright-core):
 * the page renders to a PNG of the expected size, fits a phone screen, loads nothing remote,
 * and no user-supplied markup in a mention executes or even becomes an element. Also writes the
 * README screenshot from a realistic day (to test-output/; copied to docs/digest.png when
 * EARSHOT_UPDATE_SCREENSHOTS=1).
 *
 * Skips when /usr/bin/chromium is absent (install it with `apt-get install -y chromium`).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { buildScheduled } from '../src/digest/index.js';
import type { DigestModel } from '../src/digest/model.js';
import { scheduledPeriod, scheduleOf } from '../src/digest/period.js';
import { renderDigestHtml } from '../src/digest/render-html.js';
import { PERIOD_END, PERIOD_START, seedScenario, writeDeployment } from './helpers/digest-fixture.js';
import { seedMention } from './helpers/digest-seed.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/store.js';

const CHROMIUM = '/usr/bin/chromium';
const repoRoot = resolve(import.meta.dirname, '..');
const outDir = join(repoRoot, 'test-output', 'digest-render');
const hasChromium = existsSync(CHROMIUM);
const title = hasChromium
  ? 'digest HTML in headless Chromium'
  : `digest HTML in headless Chromium (SKIPPED: ${CHROMIUM} not found; install it with apt-get install -y chromium)`;

const HOSTILE = {
  title: '"><svg onload="window.__pwned=4">',
  text: `<script>window.__pwned = 1; document.title = 'pwned'</script><img src=x onerror="window.__pwned = 2; document.title = 'pwned-img'"> refund now`,
  author: '<b onmouseover="window.__pwned=5">evil</b>',
  url: 'javascript:window.__pwned=3',
};

/** PNG width and height from the IHDR chunk. */
function pngSize(path: string): { width: number; height: number; bytes: number } {
  const buf = readFileSync(path);
  expect(buf.subarray(1, 4).toString('ascii')).toBe('PNG');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), bytes: statSync(path).size };
}

/** A busier day for the screenshot: a morning build-up, an afternoon peak, a quiet night. */
function seedBusyDay(store: SqliteStore): Promise<void> {
  const perHour = [1, 2, 3, 5, 6, 4, 3, 4, 7, 9, 6, 4, 3, 2, 2, 1, 1, 0, 0, 0, 1, 0, 1, 1];
  const neutral = [
    'Migrating our staging cluster to Acme Cloud this week',
    'How does Acme Cloud pricing compare with the big three?',
    'Acme Cloud status page says all green again',
    'Notes from the Acme Cloud meetup in Berlin',
  ];
  const positive = ['Acme Cloud support sorted our DNS issue in minutes', 'Edge regions on Acme Cloud cut our latency in half'];
  const negative = ['Acme Cloud dashboard keeps logging me out', 'Invoice from Acme Cloud makes no sense this month'];
  let n = 0;
  return store.transaction(async (tx) => {
    for (const [hour, count] of perHour.entries()) {
      for (let i = 0; i < count; i++) {
        n += 1;
        await seedMention(tx, {
          id: `busy${n}`,
          source: (['twitter', 'reddit', 'bluesky', 'mastodon'] as const)[n % 4],
          at: new Date(Date.parse(PERIOD_START) + hour * 3_600_000 + i * 300_000 + 60_000).toISOString(),
          author: `reader${n % 9}`,
          reach: 20 + ((n * 37) % 400),
          ...(n % 5 === 0
            ? { text: positive[n % 2]!, sentiment: 'positive' as const }
            : n % 23 === 0
              ? { text: negative[n % 2]!, sentiment: 'negative' as const }
              : { text: neutral[n % 4]!, sentiment: 'neutral' as const }),
        });
      }
    }
  });
}

describe.skipIf(!hasChromium)(title, () => {
  let context: BrowserContext;
  let config: Config;
  const cleanup: string[] = [];

  async function freshDb(): Promise<SqliteStore> {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-digest-render-'));
    cleanup.push(dir);
    const store = openSqliteStore(join(dir, 'earshot.db'));
    await seedScenario(store);
    return store;
  }

  function model(store: SqliteStore): Promise<DigestModel> {
    const digest = config.digests[0]!;
    const period = scheduledPeriod(scheduleOf(digest.schedule, digest.timezone), new Date(PERIOD_END))!;
    return buildScheduled({ store, config, log: silentLogger(), now: () => new Date(PERIOD_END) }, digest, period);
  }

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    mkdirSync(outDir, { recursive: true });
    const deployment = writeDeployment({ digestExtra: '    list_unsubscribe: https://lists.example.com/unsubscribe?list=daily' });
    cleanup.push(deployment);
    config = loadConfig(deployment).config;
    const profile = mkdtempSync(join(tmpdir(), 'earshot-chromium-'));
    cleanup.push(profile);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 680, height: 900 },
    });
  });

  afterAll(async () => {
    await context?.close();
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  it('renders to a PNG of the expected size, loads nothing remote, and runs no mention markup', async () => {
    const store = await freshDb();
    await seedMention(store, {
      id: 'hostile', at: '2026-11-22T12:30:00.000Z', ...HOSTILE, reach: 5,
      sentiment: 'negative', urgency: 'critical', urgencyScore: 0.99, urgencyReasons: ['complaint to @acmecloud'],
    });
    const html = renderDigestHtml(await model(store), { unsubscribeUrl: 'https://lists.example.com/unsubscribe?list=daily' });
    await store.close();
    const file = join(outDir, 'hostile.html');
    writeFileSync(file, html);

    const page = await context.newPage();
    const requests: string[] = [];
    const dialogs: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(pathToFileURL(file).href);
    await page.mouse.move(100, 300);
    await page.waitForTimeout(100);

    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(dialogs).toEqual([]);
    expect(await page.title()).toBe('earshot digest daily');
    // Runs in the page (a string: this file is type-checked without the DOM library).
    const probe = (await page.evaluate(`(() => {
      const all = [...document.querySelectorAll('*')];
      return {
        pwned: window.__pwned ?? null,
        scripts: document.querySelectorAll('script').length,
        media: document.querySelectorAll('img, svg, iframe, object, embed, link, style').length,
        handlers: all.flatMap((el) => [...el.attributes].filter((a) => a.name.startsWith('on')).map((a) => el.tagName + '.' + a.name)),
        hrefs: [...document.querySelectorAll('a')].map((a) => a.getAttribute('href') ?? ''),
        text: document.body.innerText,
      };
    })()`)) as { pwned: number | null; scripts: number; media: number; handlers: string[]; hrefs: string[]; text: string };
    expect(probe.pwned).toBeNull();
    expect(probe.scripts).toBe(0);
    expect(probe.media).toBe(0);
    expect(probe.handlers).toEqual([]);
    expect(probe.hrefs.every((h) => /^https?:\/\//.test(h))).toBe(true);
    expect(probe.hrefs).toContain('https://lists.example.com/unsubscribe?list=daily');
    // The hostile mention is shown, literally, first in "Needs a reply", without a link.
    expect(probe.text).toContain(`"><svg onload="window.__pwned=4"> — <script>window.__pwned = 1; document.title = 'pwned'</script>`);
    expect(probe.text).toContain('<b onmouseover="window.__pwned=5">evil</b> (5 followers) on twitter');
    expect(probe.text.indexOf('<b onmouseover')).toBeLessThan(probe.text.indexOf('angry_dev (800 followers)'));

    const png = join(outDir, 'hostile.png');
    await page.screenshot({ path: png, fullPage: true });
    const size = pngSize(png);
    expect(size.width).toBe(680);
    expect(size.height).toBeGreaterThan(1800);
    expect(size.height).toBeLessThan(4000);
    expect(size.bytes).toBeGreaterThan(50_000);
    await page.close();
  });

  it('fits a phone screen without sideways scrolling', async () => {
    const store = await freshDb();
    const html = renderDigestHtml(await model(store));
    await store.close();
    const file = join(outDir, 'phone.html');
    writeFileSync(file, html);
    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(pathToFileURL(file).href);
    const widths = (await page.evaluate('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })')) as {
      scroll: number;
      client: number;
    };
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    await page.screenshot({ path: join(outDir, 'phone.png'), fullPage: true });
    await page.close();
  });

  it('a quiet period renders short: a quiet-day note and source health, no empty charts', async () => {
    const store = await freshDb();
    const digest = config.digests[0]!;
    const period = scheduledPeriod(scheduleOf(digest.schedule, digest.timezone), new Date('2026-11-25T07:00:00.000Z'))!;
    const quiet = await buildScheduled({ store, config, log: silentLogger(), now: () => period.end }, digest, period);
    await store.close();
    const file = join(outDir, 'quiet.html');
    writeFileSync(file, renderDigestHtml(quiet));
    const page = await context.newPage();
    // A short viewport, so the full-page screenshot is as tall as the content.
    await page.setViewportSize({ width: 680, height: 200 });
    await page.goto(pathToFileURL(file).href);
    const text = (await page.evaluate('document.body.innerText')) as string;
    expect(text).toContain('Quiet day · Wed 25 Nov');
    expect(text).toContain('No new mentions of Acme Cloud in this period.');
    expect(text).toContain('SOURCE HEALTH');
    expect(text).not.toContain('VOLUME');
    expect(text).not.toContain('NEEDS A REPLY');
    const png = join(outDir, 'quiet.png');
    await page.screenshot({ path: png, fullPage: true });
    expect(pngSize(png).height).toBeLessThan(900);
    await page.close();
  });

  it('renders the README screenshot from a realistic day', async () => {
    const store = await freshDb();
    await seedBusyDay(store);
    const m = await model(store);
    await store.close();
    expect(m.brands[0]!.total).toBe(9 + 66);
    const file = join(outDir, 'readme.html');
    writeFileSync(file, renderDigestHtml(m, { unsubscribeUrl: 'https://lists.example.com/unsubscribe?list=daily' }));
    const page = await context.newPage();
    await page.setViewportSize({ width: 640, height: 900 });
    await page.goto(pathToFileURL(file).href);
    const shot = join(outDir, 'digest.png');
    await page.screenshot({ path: shot, fullPage: true });
    const size = pngSize(shot);
    expect(size.width).toBe(640);
    expect(size.bytes).toBeLessThan(400_000);
    await page.close();
    // The committed README screenshot changes only on request, not on every test run.
    if (process.env.EARSHOT_UPDATE_SCREENSHOTS === '1') writeFileSync(join(repoRoot, 'docs', 'digest.png'), readFileSync(shot));
  });
});
