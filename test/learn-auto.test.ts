/**
 * The daemon learns a brand again by itself (src/pipeline/learn.ts, the code `earshot learn`
 * runs): a real daemon on a real SQLite store in a temp dir, polling a real RSS server, with
 * corrections made through the triage domain as the UI, API and Slack make them. N corrections →
 * learned/<brand>.json appears and the next polled mention is scored with it; fewer → nothing;
 * after `earshot learn --forget` → not re-created until N more.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAnalyzer } from '../src/analyze/index.js';
import { loadConfig, loadEnv } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { Daemon } from '../src/pipeline/daemon.js';
import { parseLearnEvery, type AutoLearnCheck } from '../src/pipeline/learn.js';
import { triageStoreOf } from '../src/store/index.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/store.js';
import type { TriageStore } from '../src/store/triage-types.js';
import { applyAction } from '../src/triage/actions.js';
import { makeDeployment, rssFeed, runCli, type FeedItem } from './helpers/cli.js';
import { seedMentionSync } from './helpers/digest-seed.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { until } from './helpers/wait.js';
import { SK8_ORDINARY } from './helpers/sk8-brand.js';

const actor = { kind: 'ui' as const, id: 'dana', name: 'Dana' };
const analyzer = createAnalyzer();
const HOUR = 60 * 60 * 1000;

let feed: FeedServer;
let daemon: Daemon | null = null;
let store: SqliteStore | null = null;
beforeEach(async () => {
  feed = await startFeedServer();
});
afterEach(async () => {
  await daemon?.stop();
  await store?.close();
  daemon = null;
  store = null;
  await feed.close();
});

const items: FeedItem[] = [];
function push(guid: string, text: string): void {
  items.unshift({ guid, title: 'sk8co', description: text });
  feed.route('/feed.xml', { body: rssFeed(items) });
}

/** The sentiment the daemon stored for a polled item, once it is stored. */
function storedLabel(guid: string): Promise<string> {
  return until(() => store!.db.prepare<[string], { sentiment_label: string }>('SELECT sentiment_label FROM mentions WHERE source_id = ?').get(guid)?.sentiment_label, 30_000, `mention ${guid} stored`);
}

let seq = 0;
function seed(text: string, sentiment: 'negative' | 'neutral' | 'positive'): number {
  seq++;
  return seedMentionSync(store!.db, { brand: 'sk8', id: `s${seq}`, at: `2026-12-01T10:${String(seq % 60).padStart(2, '0')}:00.000Z`, text, sentiment });
}

/** The team handles ordinary mentions as labelled (confirmations: not counted as corrections). */
async function handleOrdinary(triage: TriageStore): Promise<void> {
  for (const text of SK8_ORDINARY) {
    const label = analyzer.analyze({ text, brand: { name: 'Sk8 Co', handles: ['sk8co'] } }).sentiment.label as 'negative' | 'neutral' | 'positive';
    await applyAction(triage, { mentionId: seed(text, label), action: 'handle', actor });
  }
}

const SICK = ['that new sk8co deck is sick', 'the sk8co pro model is so sick', 'sick deck from sk8co, filthy graphics', 'filthy wheels on the new sk8co completes', 'sk8co trucks are sick, grinding all day', 'got the sk8co street deck, so sick', 'sk8co just dropped a sick new graphic series', 'filthy pop on this sk8co deck, sick', 'sk8co bushings feel sick', 'this sk8co setup is sick'];

/** `n` corrections: "sick" is praise for this brand (negative → positive). */
async function correct(triage: TriageStore, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await applyAction(triage, { mentionId: seed(`${SICK[i % SICK.length]!} #${seq}`, 'negative'), action: 'sentiment', value: 'positive', actor });
  }
}

describe('automatic learning in the daemon', () => {
  it('learns after EARSHOT_LEARN_EVERY (default 20) new corrections, scores later mentions with it, and waits for that many again after a forget', async () => {
    const dir = makeDeployment({
      'sources/sk8.yaml': `brand: sk8\nname: Sk8 Co\nhandles: [sk8co]\nquery: sk8co OR "sk8 co"\nsources:\n  - type: rss\n    url: ${feed.url('/feed.xml')}\n    every: 200ms\n`,
    });
    push('p0', 'my new sk8co deck is so sick');
    const { config, problems } = loadConfig(dir, loadEnv(dir, {}));
    expect(problems).toEqual([]);
    store = openSqliteStore(join(dir, 'data/earshot.db'));
    const triage = await triageStoreOf(store);
    // The daemon's clock: real time, moved forward past the once-an-hour limit when the test says so.
    let offset = 0;
    const checks: AutoLearnCheck[][] = [];
    daemon = new Daemon({ store, config, analyzer, log: silentLogger(), watch: false, learnCheckMs: 0, now: () => new Date(Date.now() + offset), onLearnCheck: (c) => checks.push(c) });
    await daemon.start();
    const file = join(dir, 'learned', 'sk8.json');
    /**
     * Waits until a look at the corrections has surely started after the test's writes (the one
     * running now may have read the counts before them), and returns what the looks since now
     * found for sk8: `learned` is the one that learned, if any; `last` the latest.
     */
    const nextCheck = async (): Promise<{ learned: AutoLearnCheck | undefined; last: AutoLearnCheck; all: AutoLearnCheck[] }> => {
      const start = checks.length;
      // Each pass looks (learnCheckMs: 0); wake the loop rather than wait for its timer.
      await until(() => (daemon!.wake(), checks.length >= start + 2), 30_000, 'a learning check');
      const all = checks.slice(start).flat().filter((c) => c.brand === 'sk8');
      return { learned: all.find((c) => c.learned), last: all.at(-1)!, all };
    };

    /**
     * A poll in flight during the reload still holds the config it started with: wait for two
     * feed requests from now, the second from a poll started after the reload.
     */
    const pollsFromNow = async (): Promise<void> => {
      const seen = feed.requests.length;
      await until(() => feed.requests.length >= seen + 2, 30_000, 'two polls');
    };

    // The shared model reads "sick" as negative for this brand.
    expect(await storedLabel('p0')).not.toBe('positive');

    await handleOrdinary(triage);
    await correct(triage, 19);
    const nine = await nextCheck();
    expect(nine.learned).toBeUndefined();
    expect(nine.last.fresh).toBe(19);
    expect(existsSync(file)).toBe(false);

    await correct(triage, 1);
    const learned = (await nextCheck()).learned!;
    expect(learned.fresh).toBe(20);
    expect(learned.learned?.wrote).toBe(true);
    expect(learned.learned?.lines[0]).toBe(`sk8: wrote ${file}`);
    expect(learned.learned?.lines[1]).toBe('learned from 20 corrections: 0 negative, 0 neutral, 20 positive, 0 not relevant');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ format: 'earshot-adaptation' });
    // In force without a restart: the next polled mention is scored with the brand's adaptation.
    await pollsFromNow();
    push('p1', 'sk8co deck, so sick');
    expect(await storedLabel('p1')).toBe('positive');
    // Counted from the learn: nothing new, nothing learned.
    expect((await nextCheck()).last).toMatchObject({ fresh: 0, learned: null });

    // Some corrections before the forget do not count after it.
    await correct(triage, 15);
    expect((await nextCheck()).last).toMatchObject({ fresh: 15, learned: null });

    const forgot = await runCli(dir, ['learn', '--brand', 'sk8', '--forget']);
    expect(forgot.code).toBe(0);
    expect(existsSync(file)).toBe(false);
    offset = 2 * HOUR; // past the once-an-hour limit: only the count holds it back now
    const afterForget = await nextCheck();
    expect(afterForget.learned).toBeUndefined();
    expect(afterForget.last.fresh).toBe(0);
    // The forget is in force in the running daemon too.
    await pollsFromNow();
    push('p2', 'got a new sk8co deck, so sick');
    expect(await storedLabel('p2')).not.toBe('positive');

    await correct(triage, 19);
    const nineMore = await nextCheck();
    expect(nineMore.learned).toBeUndefined();
    expect(nineMore.last.fresh).toBe(19);
    expect(existsSync(file)).toBe(false);
    await correct(triage, 1);
    expect((await nextCheck()).learned?.learned?.wrote).toBe(true);
    expect(existsSync(file)).toBe(true);
  }, 120_000);

  it('learns a brand at most once an hour, and not at all with EARSHOT_LEARN_EVERY=0', async () => {
    const dir = makeDeployment({
      'sources/sk8.yaml': `brand: sk8\nname: Sk8 Co\nhandles: [sk8co]\nquery: sk8co\nsources:\n  - type: rss\n    url: ${feed.url('/feed.xml')}\n    every: 1h\n`,
      '.env': 'EARSHOT_LEARN_EVERY=3\n',
    });
    push('q0', 'sk8co news');
    const { config } = loadConfig(dir, loadEnv(dir, {}));
    store = openSqliteStore(join(dir, 'data/earshot.db'));
    const triage = await triageStoreOf(store);
    const checks: AutoLearnCheck[][] = [];
    daemon = new Daemon({ store, config, analyzer, log: silentLogger(), watch: false, learnCheckMs: 0, onLearnCheck: (c) => checks.push(c) });
    await daemon.start();
    const nextCheck = async () => {
      const start = checks.length;
      // Each pass looks (learnCheckMs: 0); wake the loop rather than wait for its timer.
      await until(() => (daemon!.wake(), checks.length >= start + 2), 30_000, 'a learning check');
      const all = checks.slice(start).flat().filter((c) => c.brand === 'sk8');
      return { learned: all.find((c) => c.learned), last: all.at(-1)! };
    };
    await correct(triage, 3);
    expect((await nextCheck()).learned?.learned?.wrote).toBe(true);
    await correct(triage, 3);
    const within = await nextCheck();
    expect(within.learned).toBeUndefined();
    expect(within.last.fresh).toBe(3);
    // `earshot learn` run by hand while the daemon runs: the daemon sees the new file and reloads.
    const reloaded = await store.meta.get('config.last_reload_at');
    expect((await runCli(dir, ['learn', '--brand', 'sk8'])).code).toBe(0);
    await nextCheck();
    expect(await store.meta.get('config.last_reload_at')).not.toBe(reloaded);

    await daemon.stop();
    const off = loadConfig(dir, loadEnv(dir, { EARSHOT_LEARN_EVERY: '0' })).config;
    expect(off.env.EARSHOT_LEARN_EVERY).toBe('0');
    const offChecks: AutoLearnCheck[][] = [];
    daemon = new Daemon({ store, config: off, analyzer, log: silentLogger(), watch: false, learnCheckMs: 0, now: () => new Date(Date.now() + 2 * HOUR), onLearnCheck: (c) => offChecks.push(c) });
    await daemon.start();
    await until(() => (daemon!.wake(), offChecks.length >= 2), 30_000, 'a learning check');
    expect(offChecks.flat()).toEqual([]);
  }, 120_000);

  it('reads EARSHOT_LEARN_EVERY: a whole number, 0 = off, default 20; anything else is an error naming it', () => {
    expect(parseLearnEvery(undefined)).toBe(20);
    expect(parseLearnEvery(' 5 ')).toBe(5);
    expect(parseLearnEvery('0')).toBe(0);
    expect(() => parseLearnEvery('often')).toThrow('EARSHOT_LEARN_EVERY=often: expected a whole number of corrections, like 20 (0 turns automatic learning off)');
    expect(() => parseLearnEvery('-1')).toThrow('EARSHOT_LEARN_EVERY=-1');
  });
});
