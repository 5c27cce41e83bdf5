/**
 * What operators see of a cluster: `earshot status` lists the nodes with their heartbeat and what
 * they hold, `/metrics` counts them, `/healthz` answers for each node; a SIGKILLed node shows as
 * dead once its lease passed, a node stopped with SIGTERM as stopped.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledCli, spawnCompiled } from '../scripts/soak.js';
import { makeDeployment, rssFeed, runCli } from './helpers/cli.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { postgresAvailability, startTestPostgres, withSkipReason, type TestPostgres } from './helpers/postgres.js';
import { until } from './helpers/wait.js';

const availability = postgresAvailability();

interface StatusJson {
  nodes: Array<{ id: string; host: string; pid: number; alive: boolean; stoppedAt: string | null; heartbeatAt: string; polling: string[]; sending: number }>;
  database: { path: string };
}

describe.skipIf(!availability.ok)(withSkipReason('cluster status, metrics and health', availability), () => {
  let pg: TestPostgres;
  let feeds: FeedServer;
  const nodes: ChildProcess[] = [];
  beforeAll(async () => {
    [pg, feeds] = await Promise.all([startTestPostgres(), startFeedServer()]);
  }, 120_000);
  afterAll(async () => {
    for (const n of nodes) if (n.exitCode === null && n.signalCode === null) n.kill('SIGKILL');
    await feeds?.close();
    await pg?.stop();
  }, 60_000);

  it('lists the nodes and what they hold; a killed node turns dead after its lease, a stopped one stopped', async () => {
    feeds.route('/feed.xml', { body: rssFeed([{ guid: 'g1', title: 'acme cloud news', description: 'acme cloud opens a region', link: 'https://n/1' }]), headers: { 'content-type': 'application/rss+xml' } });
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feeds.url('/feed.xml')}\n    every: 2s\n`,
      'rules/alerts.yaml': 'rules: []\n',
      '.env': `EARSHOT_DATABASE_URL=${pg.url}\nEARSHOT_CLUSTER_LEASE=6s\n`,
    });
    const launcher = compiledCli();
    const logs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const child = spawnCompiled(launcher, dir, ['run', '--no-watch', '--http', '127.0.0.1:0']);
      logs.push('');
      child.stderr!.on('data', (d: Buffer) => (logs[i] += d.toString()));
      child.stdout!.resume();
      nodes.push(child);
    }
    await until(() => logs.every((l) => l.includes('joined the cluster') && l.includes('http server listening')), 120_000, 'two nodes up');
    const urls = logs.map((l) => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(l)![1]!);

    const status = async (): Promise<StatusJson> => {
      const r = await runCli(dir, ['status', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as StatusJson;
    };
    const first = await status();
    expect(first.nodes.map((n) => n.alive)).toEqual([true, true]);
    expect(first.nodes.map((n) => n.pid).sort()).toEqual(nodes.map((n) => n.pid).sort());
    expect(first.database.path).toContain(':***@127.0.0.1');
    expect(first.database.path).not.toContain(new URL(pg.url).password);
    // Someone polls the source now and then.
    await until(async () => (await status()).nodes.some((n) => n.polling.includes('acme/rss')) || feeds.requests.length >= 3, 60_000, 'polls');

    const text = await runCli(dir, ['status']);
    expect(text.stdout).toMatch(/^NODES\s+2 alive$/m);
    expect(text.stdout).toMatch(/NODE\s+\|?\s*HOST/);

    const metrics = await (await fetch(`${urls[0]}/metrics`)).text();
    expect(metrics).toMatch(/^earshot_cluster_nodes\{state="alive"\} 2$/m);
    for (const url of urls) expect((await fetch(`${url}/healthz`)).status).toBe(200);

    nodes[0]!.kill('SIGKILL');
    const dead = await until(
      async () => {
        const s = await status();
        return s.nodes.find((n) => n.pid === nodes[0]!.pid && !n.alive && n.stoppedAt === null) ? s : null;
      },
      60_000,
      'the killed node to show as dead',
    );
    expect(dead.nodes.filter((n) => n.alive)).toHaveLength(1);
    expect(await (await fetch(`${urls[1]}/metrics`)).text()).toMatch(/^earshot_cluster_nodes\{state="dead"\} 1$/m);
    expect((await runCli(dir, ['status'])).stdout).toMatch(/^NODES\s+1 alive, 1 gone/m);

    nodes[1]!.kill('SIGTERM');
    await new Promise((r) => nodes[1]!.on('exit', r));
    const after = await status();
    expect(after.nodes.find((n) => n.pid === nodes[1]!.pid)).toMatchObject({ alive: false, stoppedAt: expect.any(String), polling: [], sending: 0 });
  }, 300_000);
});
