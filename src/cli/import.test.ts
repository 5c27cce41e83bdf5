import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { PrepareWorker } from '../pipeline/prepare-pool.js';
import { openDatabase } from '../store/sqlite/db.js';
import { createContext } from './context.js';
import { importCommand } from './import.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function deployment(): string {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-import-'));
  dirs.push(dir);
  const files: Record<string, string> = {
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud" OR acmecloud OR @acmecloud -hiring'\nhandles: [acmecloud]\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never.xml\n`,
    'sources/brise.yaml': `brand: brise\nname: Brise Café\nquery: '"brise café" OR brisecafe'\nlanguage: [de]\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never.xml\n`,
    'rules/alerts.yaml': `rules:\n  - name: negative\n    match: { sentiment: negative }\n    group_by: [brand, source]\n    throttle: 1h\n    notify: [{ email: "ops@example.com" }]\n`,
  };
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

const TEXTS = [
  'Acme Cloud is down again, we lost our data and nobody answers. I want a refund!',
  'Loving the new acmecloud dashboard, great work team 🎉',
  'Does anyone know if Acme Cloud supports IPv6? @acmecloud',
  'acme cloud is hiring engineers in Berlin',
  'Nothing to see here, just a weather report for Tuesday.',
  'Der Brise Café in Köln ist wunderbar, sehr freundlicher Service und guter Kaffee.',
  'Brise Café: the coffee was cold and the staff was rude, never again.',
  'RT @someone: Acme Cloud is down again, we lost our data and nobody answers. I want a refund!',
  'ACME CLOUD status page says everything is fine but our API calls time out https://status.example.com/?utm_source=x',
];

/** Varied lines: both brands, every source type, reposts, repeated ids, texts that do not match. */
function lines(count: number): string {
  const sources = ['rss', 'reddit', 'twitter', 'hackernews', 'bluesky', 'mastodon'];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const text = TEXTS[i % TEXTS.length]!;
    const brand = /brise/i.test(text) ? 'brise' : 'acme';
    const id = i % 17 === 5 ? `repeat-${i % 3}` : `id-${i}`;
    out.push(
      JSON.stringify({
        brand,
        source: sources[i % sources.length],
        id,
        url: i % 11 === 0 ? null : `https://www.example.com/post/${i % 40}?utm_medium=feed`,
        author: `user${i % 13}`,
        title: i % 4 === 0 ? `Thread ${i % 7}` : null,
        text: `${text} ${i % 3 === 0 ? '' : `(#${i % 29})`}`,
        published: new Date(Date.UTC(2026, 10, 20, 0, i)).toISOString(),
        reach: i % 5 === 0 ? null : (i * 7919) % 200_000,
      }),
    );
  }
  return out.join('\n') + '\n';
}

async function runImport(dir: string, file: string, workerMinBytes: number) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = createContext({ configDir: dir, logLevel: 'silent' }, { out: (l) => out.push(l), err: (l) => err.push(l) });
  const stats = { preparedAhead: 0 };
  const code = await importCommand(ctx, file, { workerMinBytes, stats });
  const db = openDatabase(join(dir, 'data/earshot.db'), { readonly: true });
  const mentions = db.prepare('SELECT * FROM mentions ORDER BY id').all() as Array<Record<string, unknown>>;
  const alerts = db.prepare('SELECT a.rule, a.group_key, m.mention_id FROM alerts a JOIN alert_mentions m ON m.alert_id = a.id ORDER BY a.id, m.mention_id').all();
  db.close();
  return { code, preparedAhead: stats.preparedAhead, out: out.join('\n'), err: err.join('\n'), mentions: mentions.map(({ fetched_at: _, ...rest }) => rest), alerts };
}

describe('earshot import with a worker thread', () => {
  it('stores the same rows and alerts as the inline import', async () => {
    const content = lines(2500);
    const inline = deployment();
    const threaded = deployment();
    writeFileSync(join(inline, 'in.jsonl'), content);
    writeFileSync(join(threaded, 'in.jsonl'), content);
    const a = await runImport(inline, join(inline, 'in.jsonl'), Infinity);
    const b = await runImport(threaded, join(threaded, 'in.jsonl'), 0);
    expect(a.code).toBe(0);
    expect(a.preparedAhead).toBe(0);
    // The worker takes a batch while it has fewer than two waiting; this thread prepares the rest,
    // so both cores work. It must have taken the first two (1,000 lines each) at least.
    expect(b.preparedAhead).toBeGreaterThanOrEqual(2000);
    expect(b.out).toBe(a.out);
    expect(a.out).toMatch(/2500 lines: \d+ stored \([1-9]\d* duplicates\), [1-9]\d* already stored, [1-9]\d* did not match/);
    expect(a.mentions.length).toBeGreaterThan(1000);
    expect(a.mentions.some((m) => m.brand === 'brise')).toBe(true);
    expect(b.mentions).toEqual(a.mentions);
    expect(a.alerts.length).toBeGreaterThan(0);
    expect(b.alerts).toEqual(a.alerts);
  }, 30_000);
});

describe('PrepareWorker', () => {
  it('resolves null and reports why when it cannot prepare, so the caller goes on inline', async () => {
    const dir = deployment();
    const { config } = loadConfig(dir, {});
    const reasons: string[] = [];
    const worker = new PrepareWorker(config.brands.values(), (r) => reasons.push(r));
    try {
      const item = { sourceId: '1', url: null, author: null, reach: null, title: '', text: 'acme cloud is down', published: null };
      const ok = await worker.prepare('acme', [item]);
      expect(reasons).toEqual([]);
      expect(ok?.[0]?.terms).toEqual(['"acme cloud"']);
      expect(await worker.prepare('nobody', [item])).toBeNull();
      expect(reasons[0]).toContain('unknown brand nobody');
      expect(await worker.prepare('acme', [item])).toBeNull();
    } finally {
      await worker.close();
    }
  }, 20_000);
});
