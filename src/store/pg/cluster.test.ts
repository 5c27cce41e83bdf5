import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test/helpers/cli.js';
import { pgQuery, postgresAvailability, startTestPostgres, withSkipReason, type TestPostgres } from '../../../test/helpers/postgres.js';
import { until } from '../../../test/helpers/wait.js';
import type { NewAlert } from '../types.js';
import { openPostgresStore } from './store.js';

const availability = postgresAvailability();

function alertTo(targets: string[], createdAt: string, n: number): NewAlert {
  return {
    rule: `r${n}`,
    ruleHash: 'h',
    ruleType: 'volume',
    groupKey: '',
    brand: 'acme',
    summary: `alert ${n}`,
    details: [],
    mentionIds: [],
    totalMentions: 0,
    createdAt,
    deliveries: targets.map((target) => ({ notifier: 'slack', target })),
  };
}

interface Received {
  body: { id: number; target: string; node: string };
  at: number;
}

/** A local "service" that records what it receives, in order, with the receive time. */
async function recordingServer(): Promise<{ url: string; received: Received[]; close(): Promise<void>; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ body: JSON.parse(body || '{}') as Received['body'], at: Date.now() });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, received, server, close: () => new Promise((r) => server.close(() => r())) };
}

describe.skipIf(!availability.ok)(withSkipReason('cluster coordination on PostgreSQL', availability), () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await startTestPostgres();
  }, 120_000);
  afterAll(() => pg?.stop(), 60_000);

  it('lists nodes with their heartbeat and what they hold; a stopped node releases its leases', async () => {
    const url = await pg.createDatabase('nodes');
    const store = await openPostgresStore(url);
    try {
      await store.cluster.registerNode({ id: 'n1', host: 'h1', pid: 11, version: '0.1.0', command: 'run' });
      await store.cluster.registerNode({ id: 'n2', host: 'h2', pid: 22, version: '0.1.0', command: 'run' });
      await store.sources.ensure('acme/rss', 'acme', 'rss', 'h');
      expect(await store.cluster.claimPoll('acme/rss', 'n1', 60_000)).toBe(true);
      let nodes = await store.cluster.nodes(10_000);
      expect(nodes.map((n) => [n.id, n.alive, n.polling])).toEqual([
        ['n1', true, ['acme/rss']],
        ['n2', true, []],
      ]);
      await pgQuery(url, "UPDATE nodes SET heartbeat_at = now() - interval '1 minute' WHERE id = 'n2'");
      await store.cluster.heartbeat('n1');
      nodes = await store.cluster.nodes(10_000);
      expect(nodes.map((n) => [n.id, n.alive])).toEqual([
        ['n1', true],
        ['n2', false],
      ]);
      await store.cluster.stopNode('n1');
      expect(await store.cluster.claimPoll('acme/rss', 'n2', 60_000)).toBe(true);
      expect((await store.cluster.nodes(10_000)).find((n) => n.id === 'n1')).toMatchObject({ alive: false, stoppedAt: expect.any(String), polling: [] });
    } finally {
      await store.close();
    }
  });

  it('lets one node poll a due source at a time, and another take over once the lease expired', async () => {
    const url = await pg.createDatabase('polls');
    const a = await openPostgresStore(url);
    const b = await openPostgresStore(url);
    try {
      await a.sources.ensure('acme/rss', 'acme', 'rss', 'h');
      await a.sources.ensure('acme/hn', 'acme', 'hackernews', 'h');
      const claims = await Promise.all([a.cluster.claimPoll('acme/rss', 'a', 300), b.cluster.claimPoll('acme/rss', 'b', 300)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      const [winner, loser] = claims[0] ? (['a', 'b'] as const) : (['b', 'a'] as const);
      const stores = { a, b };
      expect(await stores[loser].cluster.dueSources(['acme/rss', 'acme/hn'], 10)).toEqual(['acme/hn']);
      // The winner dies (no renewal): after the lease, the other node takes the source.
      await until(() => stores[loser].cluster.claimPoll('acme/rss', loser, 60_000), 5_000, 'the lease to expire');
      expect(await stores[winner].cluster.renewPoll('acme/rss', winner, 60_000)).toBe(false);
      expect(await stores[loser].cluster.renewPoll('acme/rss', loser, 60_000)).toBe(true);
      // Polled: not due until its next poll time, even with the lease released.
      await a.sources.recordSuccess('acme/rss', { at: new Date().toISOString(), cursor: {}, nextPollAt: new Date(Date.now() + 60_000).toISOString() });
      await stores[loser].cluster.releasePoll('acme/rss', loser);
      expect(await a.cluster.claimPoll('acme/rss', 'a', 60_000)).toBe(false);
      expect(await a.cluster.claimPoll('acme/rss', 'a', 60_000, true)).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('three nodes send every delivery once, in order per destination, spaced per channel; a lost claim is sent again once', async () => {
    const url = await pg.createDatabase('claims');
    const service = await recordingServer();
    const nodes = await Promise.all([1, 2, 3].map(() => openPostgresStore(url)));
    try {
      const store = nodes[0]!;
      const t0 = Date.now() - 60_000;
      for (let i = 0; i < 12; i++) {
        await store.outbox.insertAlert(alertTo(i % 3 === 0 ? ['#a', '#b'] : ['#a'], new Date(t0 + i).toISOString(), i));
      }
      // A node claims the head of #a, sends it, and dies before recording the send.
      const [lost] = (await store.cluster.claimDeliveries({ nodeId: 'dead', leaseMs: 400, spacingMs: { slack: 0 }, limit: 1 }))!;
      expect(lost).toMatchObject({ target: '#a', token: expect.any(String) });
      await fetch(service.url, { method: 'POST', body: JSON.stringify({ id: lost!.id, target: lost!.target, node: 'dead' }) });

      const spacingMs = 150;
      const total = 12 + 4;
      const workers = nodes.map(async (node, i) => {
        const nodeId = `n${i + 1}`;
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline) {
          const claimed = await node.cluster.claimDeliveries({ nodeId, leaseMs: 5_000, spacingMs: { slack: spacingMs } });
          for (const d of claimed) {
            await fetch(service.url, { method: 'POST', body: JSON.stringify({ id: d.id, target: d.target, node: nodeId }) });
            expect(await node.cluster.markSent(d.id, d.token, new Date().toISOString(), null)).toBe(true);
          }
          const summary = await node.outbox.summary(new Date(0).toISOString());
          if (summary.sent === total) return;
          if (claimed.length === 0) await new Promise((r) => setTimeout(r, 20));
        }
      });
      await Promise.all(workers);
      // The dead node's token no longer counts.
      expect(await store.cluster.markSent(lost!.id, lost!.token, new Date().toISOString(), null)).toBe(false);

      const sends = service.received.map((r) => r.body.id);
      const repeats = sends.filter((id, i) => sends.indexOf(id) !== i);
      expect(repeats).toEqual([lost!.id]);
      expect(new Set(sends).size).toBe(total);
      for (const target of ['#a', '#b']) {
        const toTarget = service.received.filter((r) => r.body.target === target && r.body.node !== 'dead');
        const ids = toTarget.map((r) => r.body.id);
        expect(ids).toEqual([...ids].sort((x, y) => x - y));
        for (let i = 1; i < toTarget.length; i++) expect(toTarget[i]!.at - toTarget[i - 1]!.at).toBeGreaterThanOrEqual(spacingMs - 5);
      }
      // The work was shared.
      expect(new Set(service.received.map((r) => r.body.node)).size).toBeGreaterThan(2);
    } finally {
      for (const n of nodes) await n.close();
      await service.close();
    }
  }, 30_000);

  it('six claimers racing over 600 destinations send each delivery exactly once', async () => {
    // Regression: a claim read the queue heads from its snapshot, and a head another node had just
    // sent (clearing its claim) passed the row re-check; 3 of 1,000 alerts went out twice in the
    // delivery benchmark with 2 nodes.
    const url = await pg.createDatabase('race');
    const stores = await Promise.all([1, 2, 3, 4, 5, 6].map(() => openPostgresStore(url, { max: 2 })));
    try {
      const t0 = Date.now() - 60_000;
      for (let i = 0; i < 600; i++) await stores[0]!.outbox.insertAlert(alertTo([`#c${i}`], new Date(t0 + i).toISOString(), i));
      const sends = new Map<number, number>();
      await Promise.all(
        stores.map(async (store, n) => {
          for (;;) {
            const claimed = await store.cluster.claimDeliveries({ nodeId: `n${n}`, leaseMs: 30_000, spacingMs: { slack: 0 }, limit: 1 });
            if (claimed.length === 0) {
              if ((await store.outbox.summary(new Date(0).toISOString())).pending === 0) return;
              continue;
            }
            for (const d of claimed) {
              sends.set(d.id, (sends.get(d.id) ?? 0) + 1);
              expect(await store.cluster.markSent(d.id, d.token, new Date().toISOString(), null)).toBe(true);
            }
          }
        }),
      );
      expect(sends.size).toBe(600);
      expect([...sends.values()].filter((n) => n !== 1)).toEqual([]);
    } finally {
      for (const s of stores) await s.close();
    }
  }, 60_000);

  it('six processes sharing one bucket make at most burst + rate x T calls, and none between a 429 and its reset', async () => {
    const url = await pg.createDatabase('bucket');
    const service = await recordingServer();
    const target = 45;
    let blockedUntil = 0;
    service.server.removeAllListeners('request');
    service.server.on('request', (req, res) => {
      service.received.push({ body: { id: 0, target: '', node: '' }, at: Date.now() });
      // Once enough calls came in, the workers are told to stop (however late they started).
      const headers = service.received.length >= target ? { 'x-done': '1' } : {};
      // The 30th call is refused with a reset 1.5 s later.
      if (service.received.length === 30) {
        blockedUntil = Date.now() + 1_500;
        res.writeHead(429, { ...headers, 'x-reset-at': new Date(blockedUntil).toISOString() }).end();
        return;
      }
      res.writeHead(200, headers).end('ok');
    });
    const store = await openPostgresStore(url);
    const burst = 5;
    const rate = 8;
    await store.cluster.defineBucket('twitter', { capacity: burst, refillPerSecond: rate });
    await store.close();

    // Each worker reports, per granted token, when its take() began and returned (the grant lies
    // in between), and when its block() after the 429 had returned: the bounds below use these
    // times, not the machine's speed.
    const script = `
      import { openPostgresStore } from ${JSON.stringify(join(repoRoot, 'src/store/pg/store.ts'))};
      const store = await openPostgresStore(process.env.URL, { migrate: false, max: 2 });
      const end = Date.now() + 240_000;
      while (Date.now() < end) {
        const began = Date.now();
        const taken = await store.cluster.take('twitter');
        if (!taken.granted) { await new Promise((r) => setTimeout(r, Math.min(taken.waitMs, 50))); continue; }
        console.log(JSON.stringify({ began, granted: Date.now() }));
        const res = await fetch(process.env.SERVICE);
        if (res.status === 429) {
          await store.cluster.block('twitter', res.headers.get('x-reset-at'), 'HTTP 429');
          console.log(JSON.stringify({ blocked: Date.now() }));
        }
        if (res.headers.get('x-done')) break;
      }
      await store.close();
    `;
    const children = Array.from({ length: 6 }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: repoRoot,
        env: { ...process.env, URL: url, SERVICE: service.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      return new Promise<string>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`worker exit ${code}: ${err}`)))));
    });
    const lines = (await Promise.all(children)).flatMap((out) => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { began?: number; granted?: number; blocked?: number }));
    await service.close();
    const grants = lines.filter((l) => l.granted !== undefined) as Array<{ began: number; granted: number }>;
    const blockedAt = lines.find((l) => l.blocked !== undefined)?.blocked;
    // Every grant made one call.
    expect(service.received.length).toBe(grants.length);
    expect(grants.length).toBeGreaterThanOrEqual(target);
    expect(blockedAt, 'the 429 blocked the bucket').toBeDefined();

    // All grants fall within T = [first take began, last take returned] (+1 ms: Date.now() truncates).
    const spanS = (Math.max(...grants.map((g) => g.granted)) - Math.min(...grants.map((g) => g.began)) + 1) / 1000;
    expect(grants.length).toBeLessThanOrEqual(burst + rate * spanS);
    // The block empties the bucket and stops its refill until the reset: from the moment block()
    // returned (-1 ms: Date.now() truncates) to the reset, nothing accrues, so T is that much shorter.
    const pausedS = Math.max(0, blockedUntil - blockedAt! - 1) / 1000;
    expect(grants.length).toBeLessThanOrEqual(burst + rate * (spanS - pausedS));
    // No take that began after the block was stored was granted before the reset.
    expect(grants.filter((g) => g.began > blockedAt! && g.granted < blockedUntil)).toEqual([]);
    console.info(`shared bucket: ${grants.length} calls in ${spanS.toFixed(2)} s (bound ${Math.floor(burst + rate * (spanS - pausedS))} with the ${pausedS.toFixed(2)} s block)`);
  }, 300_000);
});
