import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../store/sqlite/db.js';
import { rssFeed, type FeedItem } from '../../test/helpers/cli.js';
import { startFeedServer, type FeedServer } from '../../test/helpers/feed-server.js';
import { createContext } from './context.js';
import { pollCommand } from './poll.js';

const TEXTS = [
  'Acme Cloud is down again, we lost our data and nobody answers. I want a refund!',
  'Loving the new Acme Cloud dashboard, great work team',
  'Does anyone know if Acme Cloud supports IPv6?',
  'Nothing to see here, just a weather report for Tuesday.',
  'Brise Café: the coffee was cold and the staff was rude, never again.',
  'Der Brise Café in Köln ist wunderbar, sehr freundlicher Service und guter Kaffee.',
];

let feeds: FeedServer;
const dirs: string[] = [];

beforeAll(async () => {
  feeds = await startFeedServer();
  for (let f = 0; f < 8; f++) {
    const items: FeedItem[] = [];
    for (let i = 0; i < 15; i++) {
      const n = f * 15 + i;
      // Every feed repeats one story of feed 0 (same link and text): stored as a duplicate.
      const text = i === 0 ? TEXTS[0]! : `${TEXTS[n % TEXTS.length]!} (#${n})`;
      items.push({ guid: `f${f}-${i}`, title: `Item ${n}`, description: text, link: i === 0 ? 'https://news.example.com/story' : undefined, pubDate: new Date(Date.UTC(2026, 10, 20, 0, n)) });
    }
    feeds.route(`/feed-${f}.xml`, { body: rssFeed(items) });
  }
});
afterAll(async () => {
  await feeds.close();
});
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function deployment(): string {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-poll-'));
  dirs.push(dir);
  const sources = (range: number[]) => range.map((f) => `  - type: rss\n    url: ${feeds.url(`/feed-${f}.xml`)}\n    alert_backfill: 1000d\n`).join('');
  const files: Record<string, string> = {
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n${sources([0, 1, 2, 3, 4])}`,
    'sources/brise.yaml': `brand: brise\nname: Brise Café\nquery: '"brise café"'\nlanguage: [en]\nsources:\n${sources([5, 6, 7])}`,
    'rules/alerts.yaml': `rules:\n  - name: negative\n    match: { sentiment: negative }\n    group_by: [brand]\n    throttle: 1h\n    notify: [{ email: "ops@example.com" }]\n`,
  };
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

async function poll(dir: string, workerAfterItems: number) {
  const out: string[] = [];
  const ctx = createContext({ configDir: dir, logLevel: 'silent' }, { out: (l) => out.push(l), err: () => {} });
  // No SMTP configured: the alerts stay pending, which is not what this test is about.
  const stats = { preparedAhead: 0 };
  const code = await pollCommand(ctx, { once: true, workerAfterItems, patienceMs: 0, stats });
  const db = openDatabase(join(dir, 'data/earshot.db'), { readonly: true });
  const mentions = db
    .prepare('SELECT brand, source_id, sentiment_label, sentiment_score, urgency_score, language, fingerprint, alert_state, duplicate_of IS NOT NULL AS dup FROM mentions ORDER BY brand, source_id')
    .all();
  const alerts = db.prepare('SELECT a.rule, a.group_key, a.total_mentions FROM alerts a ORDER BY a.group_key').all();
  db.close();
  return { code, out: out.filter((l) => !l.startsWith('delivery')).sort(), mentions, alerts, preparedAhead: stats.preparedAhead };
}

describe('earshot poll --once with analysis in a worker thread', () => {
  it('stores the same mentions and alerts as analysing inline', async () => {
    const inline = await poll(deployment(), Infinity);
    const threaded = await poll(deployment(), 1);
    expect(inline.preparedAhead).toBe(0);
    expect(threaded.preparedAhead).toBeGreaterThan(100); // all but the first poll's items, at least
    expect(inline.mentions.length).toBeGreaterThan(40);
    expect(inline.mentions.some((m) => (m as { dup: number }).dup === 1)).toBe(true);
    expect(inline.mentions.some((m) => (m as { brand: string }).brand === 'brise')).toBe(true);
    expect(inline.alerts.length).toBe(2);
    expect(threaded.mentions).toEqual(inline.mentions);
    expect(threaded.alerts).toEqual(inline.alerts);
    expect(threaded.out).toEqual(inline.out);
  }, 30_000);
});
