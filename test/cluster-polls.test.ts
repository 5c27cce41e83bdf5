/**
 * Three real node processes share 30 sources through pg-boss and poll leases
 * (src/pipeline/cluster.ts): each source polled once per interval and never by two nodes at
 * once; a node SIGKILLed in the middle of a poll has that source polled elsewhere within about
 * one lease.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../src/store/pg/store.js';
import { repoRoot } from './helpers/cli.js';
import { postgresAvailability, startTestPostgres, withSkipReason, type TestPostgres } from './helpers/postgres.js';
import { until } from './helpers/wait.js';

interface Event {
  event: 'ready' | 'start' | 'end' | 'minute';
  source?: string;
  node: string;
  at: number;
}

const availability = postgresAvailability();
const SOURCES = 30;
const INTERVAL_MS = 2_000;
const POLL_MS = 300;
const LEASE_MS = 3_000;

describe.skipIf(!availability.ok)(withSkipReason('three nodes sharing polls', availability), () => {
  let pg: TestPostgres;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    pg = await startTestPostgres();
  }, 120_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await pg?.stop();
  }, 60_000);

  it('polls each source once per interval, never twice at once, and moves a killed node’s source within a lease', async () => {
    const url = pg.url;
    const store = await openPostgresStore(url);
    for (let i = 1; i <= SOURCES; i++) await store.sources.ensure(`s${i}`, 'acme', 'rss', 'h');
    await store.close();

    const events: Event[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        events.push(JSON.parse(body) as Event);
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const service = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const start = (node: string): ChildProcess => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/helpers/cluster-node.ts')], {
        cwd: repoRoot,
        env: {
          ...process.env,
          URL: url,
          SERVICE: service,
          NODE: node,
          SOURCES: String(SOURCES),
          INTERVAL_MS: String(INTERVAL_MS),
          POLL_MS: String(POLL_MS),
          LEASE_MS: String(LEASE_MS),
          TICK_MS: '250',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
      return child;
    };
    try {
      const [n1, n2, n3] = ['n1', 'n2', 'n3'].map(start);
      await until(() => events.filter((e) => e.event === 'ready').length === 3, 120_000, 'three nodes ready');
      const runFrom = Date.now();
      const pollsSince = (from: number, node?: string) => events.filter((e) => e.event === 'start' && e.at >= from && (!node || e.node === node));
      // Sharing under way: every source polled since the nodes were ready, by each of the nodes.
      await until(
        () => {
          const polls = pollsSince(runFrom);
          return new Set(polls.map((p) => p.source)).size === SOURCES && ['n1', 'n2', 'n3'].every((n) => polls.some((p) => p.node === n));
        },
        120_000,
        'every source polled and every node polling',
      );

      // Kill n1 in the middle of a poll.
      const victim = await until(
        () => {
          const started = events.filter((e) => e.node === 'n1' && e.event === 'start');
          return started.find((s) => !events.some((e) => e.event === 'end' && e.node === 'n1' && e.source === s.source && e.at >= s.at));
        },
        60_000,
        'n1 to be mid-poll',
        5,
      );
      n1!.kill('SIGKILL');
      const killedAt = Date.now();
      const takeover = await until(
        () => events.find((e) => e.event === 'start' && e.source === victim.source && e.node !== 'n1' && e.at > victim.at),
        120_000,
        `${victim.source} to be polled by another node`,
      );
      const takeoverMs = takeover.at - killedAt;
      // The two left carry on: every source polled again after the takeover.
      await until(() => new Set(pollsSince(takeover.at).map((p) => p.source)).size === SOURCES, 120_000, 'every source polled after the takeover');
      const runUntil = Date.now();
      for (const c of [n2!, n3!]) c.kill('SIGTERM');
      await Promise.all([n2!, n3!].map((c) => new Promise((r) => (c.exitCode !== null ? r(undefined) : c.on('exit', r)))));

      // Never two polls of one source at once, and never sooner than the interval after the last one ended.
      const polls = events.filter((e) => e.event === 'start' && e.at >= runFrom && e.at <= runUntil);
      for (let i = 1; i <= SOURCES; i++) {
        const key = `s${i}`;
        const starts = events.filter((e) => e.event === 'start' && e.source === key).sort((a, b) => a.at - b.at);
        const ends = events.filter((e) => e.event === 'end' && e.source === key).sort((a, b) => a.at - b.at);
        for (let j = 1; j < starts.length; j++) {
          const previousEnd = ends.filter((e) => e.at <= starts[j]!.at).at(-1);
          const prev = starts[j - 1]!;
          const killed = prev.node === 'n1' && !ends.some((e) => e.node === 'n1' && e.at >= prev.at);
          if (killed) continue; // n1 died in this poll (it may have had several in flight): its retry may come sooner
          expect(previousEnd, `${key}: poll ${j} started before poll ${j - 1} ended`).toBeDefined();
          expect(ends.filter((e) => e.at > prev.at && e.at <= starts[j]!.at).length, `${key}: ends between polls ${j - 1} and ${j}`).toBe(1);
          // 'end' is the time the interval counts from (cluster-node.ts): exact, whatever the load.
          expect(starts[j]!.at - previousEnd!.at).toBeGreaterThanOrEqual(INTERVAL_MS - 5);
        }
        expect(polls.filter((p) => p.source === key).length, `${key} polled in the run`).toBeGreaterThanOrEqual(2);
      }
      // Shared: each node polled.
      for (const node of ['n1', 'n2', 'n3']) expect(polls.some((p) => p.node === node)).toBe(true);
      // Taken over within one lease: the tick fails the dead node's job once its lease ran out and
      // pg-boss hands it to another node, which takes what a due poll normally takes on this
      // machine (tick, queue, fetch). That delay is measured in the same run (before the kill) rather than
      // assumed, so a loaded machine does not fail the test and a fast one does not hide a
      // missed lease: the takeover may not exceed the lease plus the slowest ordinary poll
      // start (plus one tick and one pg-boss fetch interval for the extra step of failing the job).
      const lateness: number[] = [];
      // Ordinary polls: those before the kill (after it, the sources n1 held wait for the lease).
      for (const start of polls.filter((p) => p.at < killedAt)) {
        const end = events.filter((e) => e.event === 'end' && e.source === start.source && e.at < start.at).at(-1);
        if (end) lateness.push(start.at - (end.at + INTERVAL_MS));
      }
      const usualDelay = Math.max(0, ...lateness);
      expect(takeoverMs).toBeLessThanOrEqual(LEASE_MS + usualDelay + 250 + 1_000);
      console.info(
        `cluster polls: ${polls.length} polls of ${SOURCES} sources in ${((runUntil - runFrom) / 1000).toFixed(1)} s; takeover after SIGKILL ${takeoverMs} ms ` +
          `(lease ${LEASE_MS} ms; due polls started up to ${usualDelay} ms late)`,
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
  }, 420_000);
});
