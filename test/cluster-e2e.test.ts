/**
 * Three real `earshot run` processes on one PostgreSQL database with 30 local feeds and a local
 * Slack (SPEC "Scale-out: PostgreSQL"): every mention alerted once, each feed fetched once per
 * interval, Slack's one message per second per channel held across the nodes; one node is
 * SIGKILLed while alerts go out: nothing is lost, a message repeats at most once and only if it
 * was in flight, and the sources it held are polled again within a lease.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledCli, spawnCompiled } from '../scripts/soak.js';
import { rssFeed, type FeedItem } from './helpers/cli.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { pgQuery, postgresAvailability, startTestPostgres, withSkipReason, type TestPostgres } from './helpers/postgres.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';
import { until } from './helpers/wait.js';

const availability = postgresAvailability();
const BRANDS = ['alpha', 'bravo', 'charlie'];
const FEEDS_PER_BRAND = 10;
const EVERY_MS = 3_000;
const LEASE_MS = 3_000;

describe.skipIf(!availability.ok)(withSkipReason('three earshot nodes on one PostgreSQL', availability), () => {
  let pg: TestPostgres;
  let feeds: FeedServer;
  let slack: SlackServer;
  const nodes: ChildProcess[] = [];
  beforeAll(async () => {
    [pg, feeds, slack] = await Promise.all([startTestPostgres(), startFeedServer(), startSlackServer()]);
  }, 120_000);
  afterAll(async () => {
    for (const n of nodes) if (n.exitCode === null) n.kill('SIGKILL');
    await Promise.all([feeds?.close(), slack?.close()]);
    await pg?.stop();
  }, 60_000);

  it('alerts every mention once, fetches each feed once per interval, and survives a SIGKILL during sends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-cluster-'));
    mkdirSync(join(dir, 'sources'));
    mkdirSync(join(dir, 'rules'));
    const items = new Map<string, FeedItem[]>();
    const fetches = new Map<string, number[]>();
    const negatives: string[] = [];
    let counter = 0;
    const publish = (path: string, brand: string, negative: boolean): void => {
      counter++;
      const link = `https://news.example.com${path}/${counter}`;
      const list = items.get(path) ?? [];
      list.unshift({
        guid: `${path}-${counter}`,
        title: negative ? `${brand} cloud outage ${counter}` : `${brand} cloud release ${counter}`,
        description: negative ? `${brand} cloud lost all my data again (${counter}), worst support, I want a refund now` : `${brand} cloud opens a new region (${counter}).`,
        link,
        pubDate: new Date(),
      });
      items.set(path, list);
      if (negative) negatives.push(link);
    };
    for (const brand of BRANDS) {
      const sources: string[] = [];
      for (let f = 0; f < FEEDS_PER_BRAND; f++) {
        const path = `/${brand}/${f}.xml`;
        fetches.set(path, []);
        feeds.route(path, () => {
          fetches.get(path)!.push(Date.now());
          return { body: rssFeed(items.get(path) ?? []), headers: { 'content-type': 'application/rss+xml' }, etag: false };
        });
        publish(path, brand, true);
        publish(path, brand, false);
        sources.push(`  - type: rss\n    url: ${feeds.url(path)}\n    every: ${EVERY_MS / 1000}s\n    alert_backfill: 1d\n`);
      }
      writeFileSync(join(dir, `sources/${brand}.yaml`), `brand: ${brand}\nname: ${brand} cloud\nquery: '"${brand} cloud"'\nsources:\n${sources.join('')}`);
    }
    writeFileSync(
      join(dir, 'rules/alerts.yaml'),
      `rules:\n${BRANDS.map((b) => `  - name: negative-${b}\n    match: { brand: ${b}, sentiment: negative }\n    notify: [{ slack: "#${b}" }]\n`).join('')}`,
    );
    writeFileSync(join(dir, '.env'), `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\n`);

    const launcher = compiledCli();
    const env = { EARSHOT_DATABASE_URL: pg.url, EARSHOT_CLUSTER_LEASE: `${LEASE_MS / 1000}s` };
    const logs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const child = spawnCompiled(launcher, dir, ['run', '--no-watch'], env);
      logs.push('');
      child.stderr!.on('data', (d: Buffer) => (logs[i] += d.toString()));
      child.stdout!.resume();
      nodes.push(child);
    }
    const dump = (what: string) => (err: unknown) => {
      const tail = logs.map((l, i) => `--- node ${i + 1}\n${l.split('\n').slice(-15).join('\n')}`).join('\n');
      throw new Error(`${what}: ${(err as Error).message}; slack ${slack.messages.length}/${negatives.length}\n${tail}`);
    };
    await until(() => logs.every((l) => l.includes('joined the cluster')), 120_000, 'three nodes in the cluster').catch(dump('start'));

    // Kill node 1 while the first alerts are going out.
    await slack.waitForMessages(4, 120_000).catch(dump('first alerts'));
    nodes[0]!.kill('SIGKILL');
    const killedAt = Date.now();
    for (let f = 0; f < FEEDS_PER_BRAND; f++) publish(`/alpha/${f}.xml`, 'alpha', true);

    const expected = negatives.length;
    await slack.waitForMessages(expected, 180_000).catch(dump('all alerts'));
    // Nothing left that could go out again: no delivery pending or claimed (a message node 1 had
    // sent but not recorded stays claimed until its lease runs out, then is sent once more).
    await until(
      async () => (await pgQuery<{ n: number }>(pg.url, "SELECT count(*)::int AS n FROM deliveries WHERE status = 'pending' OR claim_token IS NOT NULL"))[0]!.n === 0,
      120_000,
      'every delivery recorded and no claim left',
    ).catch(dump('settling'));
    for (const n of nodes.slice(1)) n.kill('SIGTERM');
    await Promise.all(nodes.map((n) => (n.exitCode !== null || n.signalCode !== null ? Promise.resolve() : new Promise((r) => n.on('exit', r)))));

    // Every negative mention reached Slack; a repeat only for what node 1 had in flight (one per channel at most).
    const sent = slack.messages.map((m) => JSON.stringify(m.blocks ?? m.text));
    const copies = negatives.map((link) => sent.filter((s) => s.includes(link)).length);
    expect(copies.filter((c) => c === 0)).toEqual([]);
    expect(copies.filter((c) => c > 2)).toEqual([]);
    expect(copies.filter((c) => c === 2).length).toBeLessThanOrEqual(BRANDS.length);
    expect(slack.messages.length).toBe(expected + copies.filter((c) => c === 2).length);

    // Slack's pace per channel held across nodes.
    for (const brand of BRANDS) {
      const times = slack.messages.filter((m) => m.channel === `#${brand}`).map((m) => m.receivedAt.getTime());
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(950);
    }

    // How late an ordinary poll comes on this machine now (poll + tick + queue + fetch), from
    // the pairs of fetches that do not span the kill: the takeover bound below adds it to the
    // lease instead of assuming a fast machine.
    const usualDelay = Math.max(
      0,
      ...[...fetches.values()].flatMap((times) => times.slice(1).map((t, i) => (times[i]! > killedAt || t <= killedAt ? t - times[i]! - EVERY_MS : 0))),
    );
    const takeovers: number[] = [];
    // Each feed at most once per interval; and polled again within a lease of the kill.
    for (const [path, times] of fetches) {
      for (let i = 1; i < times.length; i++) {
        // The fetch just before the kill may be node 1's, killed before it recorded the poll: polled again sooner.
        if (times[i - 1]! <= killedAt && times[i]! > killedAt) continue;
        expect(times[i]! - times[i - 1]!, `${path} fetched twice within its interval`).toBeGreaterThanOrEqual(EVERY_MS - 250);
      }
      const after = times.filter((t) => t > killedAt);
      expect(after.length, `${path} polled after the kill`).toBeGreaterThan(0);
      const before = times.filter((t) => t <= killedAt).at(-1) ?? killedAt;
      const late = after[0]! - Math.max(before + EVERY_MS, killedAt);
      takeovers.push(late);
      expect(late, `${path}: first poll after the kill`).toBeLessThanOrEqual(LEASE_MS + usualDelay + 1_250);
    }
    console.info(
      `cluster e2e: ${expected} alerts, ${slack.messages.length} Slack messages (${copies.filter((c) => c === 2).length} repeated after the kill); ` +
        `${[...fetches.values()].reduce((n, t) => n + t.length, 0)} feed fetches; latest first poll after the kill ${Math.max(...takeovers)} ms past due (lease ${LEASE_MS} ms; ordinary polls up to ${usualDelay} ms late)`,
    );
  }, 420_000);
});
