/**
 * A PostgreSQL restart under running nodes (a failover, a minor-version upgrade): the server
 * terminates every session (57P01 admin_shutdown) and comes back. Two real `earshot run` nodes
 * must not crash on the broken connections (an unhandled pool or client 'error' would end the
 * process): they log it, reconnect, and keep polling and alerting. The restart is timed to hit
 * the worst moment: the first alert has reached Slack and the database is down before the node
 * can record it; the node keeps trying while its claim holds, so the alert is not sent twice.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
// Restarting needs a server of our own; one given by EARSHOT_TEST_PG_URL is shared.
const ownServer = availability.ok && availability.source === 'binaries';

describe.skipIf(!ownServer)(withSkipReason('earshot nodes across a PostgreSQL restart', ownServer ? availability : { ok: false, reason: 'needs a private server (EARSHOT_TEST_PG_URL is set, or PostgreSQL is absent)' }), () => {
  let pg: TestPostgres;
  let feeds: FeedServer;
  let slack: SlackServer;
  let proxy: Server | undefined;
  const nodes: ChildProcess[] = [];
  beforeAll(async () => {
    [pg, feeds, slack] = await Promise.all([startTestPostgres(), startFeedServer(), startSlackServer()]);
  }, 120_000);
  afterAll(async () => {
    for (const n of nodes) if (n.exitCode === null) n.kill('SIGKILL');
    await Promise.all([feeds?.close(), slack?.close(), new Promise((r) => (proxy ? proxy.close(r) : r(undefined)))]);
    await pg?.stop();
  }, 60_000);

  it('keeps polling and alerting after the server restarted, without crashing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-pg-restart-'));
    mkdirSync(join(dir, 'sources'));
    mkdirSync(join(dir, 'rules'));
    const items: FeedItem[] = [];
    let counter = 0;
    const publish = (): string => {
      counter++;
      const link = `https://news.example.com/acme/${counter}`;
      items.unshift({
        guid: `acme-${counter}`,
        title: `acme cloud outage ${counter}`,
        description: `acme cloud lost all my data again (${counter}), worst support, I want a refund now`,
        link,
        pubDate: new Date(),
      });
      return link;
    };
    feeds.route('/acme.xml', () => ({ body: rssFeed(items), headers: { 'content-type': 'application/rss+xml' }, etag: false }));
    writeFileSync(join(dir, 'sources/acme.yaml'), `brand: acme\nname: acme cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feeds.url('/acme.xml')}\n    every: 2s\n    alert_backfill: 1d\n`);
    writeFileSync(join(dir, 'rules/alerts.yaml'), 'rules:\n  - name: negative\n    match: { sentiment: negative }\n    notify: [{ slack: "#acme" }]\n');
    // Slack behind a proxy that, for the first message, stops PostgreSQL after Slack answered and
    // before the node hears the answer; the server stays down until the node has tried to record it.
    const logs = ['', ''];
    let restarted: Promise<void> | null = null;
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        void (async () => {
          const answer = await fetch(new URL(req.url!.replace(/^\/api\//, ''), slack.url), {
            method: req.method!,
            headers: { 'content-type': req.headers['content-type'] ?? 'application/json', authorization: req.headers.authorization ?? '' },
            body: Buffer.concat(chunks),
          });
          const body = await answer.text();
          const reply = (): void => void res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(body);
          if (restarted || !req.url!.includes('chat.postMessage')) return reply();
          let down!: () => void;
          const isDown = new Promise<void>((r) => (down = r));
          restarted = pg.restart(async () => {
            down();
            await until(() => logs.join('').includes('could not record a sent delivery'), 60_000, 'the node to try to record the sent alert');
          });
          await isDown;
          reply();
        })();
      });
    });
    await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
    const slackUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/api/`;
    writeFileSync(join(dir, '.env'), `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slackUrl}\n`);

    const launcher = compiledCli();
    for (let i = 0; i < 2; i++) {
      // A claim outlives the restart (20 s), however slow this machine is to stop and start it.
      const child = spawnCompiled(launcher, dir, ['run', '--no-watch'], { EARSHOT_DATABASE_URL: pg.url, EARSHOT_CLUSTER_LEASE: '20s' });
      child.stderr!.on('data', (d: Buffer) => (logs[i] += d.toString()));
      child.stdout!.resume();
      nodes.push(child);
    }
    const dump = (what: string) => (err: unknown) => {
      const tail = logs.map((l, i) => `--- node ${i + 1} (exit ${nodes[i]!.exitCode})\n${l.split('\n').slice(-20).join('\n')}`).join('\n');
      throw new Error(`${what}: ${(err as Error).message}\n${tail}`);
    };
    const before = publish();
    await until(() => logs.every((l) => l.includes('joined the cluster')), 120_000, 'two nodes in the cluster').catch(dump('start'));
    await slack.waitForMessages(1, 60_000).catch(dump('the first alert'));
    await until(() => restarted !== null, 10_000, 'the restart to begin');
    await restarted!.catch(dump('the restart'));
    const [{ at: backAt }] = (await pgQuery<{ at: Date }>(pg.url, 'SELECT clock_timestamp() AS at')) as [{ at: Date }];
    await until(() => logs.join('').includes('delivery recorded after the database connection came back'), 60_000, 'the sent alert to be recorded').catch(dump('recording'));
    const after = publish();
    await until(() => slack.messages.some((m) => JSON.stringify(m.blocks ?? m.text).includes(after)), 120_000, 'the alert of a mention published after the restart').catch(
      dump('after the restart'),
    );
    // Both nodes are still up, and still in the cluster (their heartbeats resumed).
    expect(nodes.map((n) => n.exitCode)).toEqual([null, null]);
    const heartbeats = async () => (await pgQuery<{ n: number }>(pg.url, 'SELECT count(*)::int AS n FROM nodes WHERE heartbeat_at > $1', [backAt]))[0]!.n;
    await until(async () => (await heartbeats()) === 2, 60_000, 'both nodes to heartbeat after the restart').catch(dump('heartbeats'));
    // What the operator sees: the broken connections named, not a crash.
    expect(logs.join('\n')).toMatch(/PostgreSQL connection lost; reconnecting|job queue error; retrying/);
    expect(logs.join('\n')).not.toMatch(/uncaught|unhandled/i);
    const sent = slack.messages.map((m) => JSON.stringify(m.blocks ?? m.text));
    expect(sent.filter((s) => s.includes(before))).toHaveLength(1);
    expect(sent.filter((s) => s.includes(after))).toHaveLength(1);

    for (const n of nodes) n.kill('SIGTERM');
    const codes = await Promise.all(nodes.map((n) => new Promise((r) => (n.exitCode !== null ? r(n.exitCode) : n.on('exit', r)))));
    expect(codes).toEqual([0, 0]);
  }, 300_000);
});
