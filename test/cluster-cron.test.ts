/**
 * The once-a-minute cluster job (pg-boss cron, src/pipeline/cluster.ts) runs once per minute
 * across three real node processes, and keeps doing so after the node that ran it is killed.
 * Cron has minute resolution, so this test takes about three minutes.
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
  event: string;
  node: string;
  at: number;
}

const availability = postgresAvailability();

describe.skipIf(!availability.ok)(withSkipReason('the minute job across three nodes', availability), () => {
  let pg: TestPostgres;
  const children = new Map<string, ChildProcess>();
  beforeAll(async () => {
    pg = await startTestPostgres();
  }, 120_000);
  afterAll(async () => {
    for (const c of children.values()) if (c.exitCode === null) c.kill('SIGKILL');
    await pg?.stop();
  }, 60_000);

  it('runs once per minute, also after the node that ran it was SIGKILLed', async () => {
    await (await openPostgresStore(pg.url)).close();
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
    try {
      for (const node of ['n1', 'n2', 'n3']) {
        const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/helpers/cluster-node.ts')], {
          cwd: repoRoot,
          env: { ...process.env, URL: pg.url, SERVICE: service, NODE: node, SOURCES: '0', LEASE_MS: '3000' },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        children.set(node, child);
      }
      await until(() => events.filter((e) => e.event === 'ready').length === 3, 120_000, 'three nodes ready');
      const minutes = () => events.filter((e) => e.event === 'minute');
      // Cron fires on the minute: up to 60 s, plus pg-boss's cron check and a worker fetch on a loaded machine.
      const first = await until(() => minutes()[0], 150_000, 'the first minute job', 200);
      children.get(first.node)!.kill('SIGKILL');
      await until(() => minutes().length >= 3, 240_000, 'two more minute jobs after the kill', 500);
      // A duplicate run of a minute can only be noticed by waiting for it: 15 s more (an
      // observation window, not a wait for something that should happen).
      await new Promise((r) => setTimeout(r, 15_000));

      const runs = minutes();
      const slots = runs.map((e) => Math.floor(e.at / 60_000));
      expect(new Set(slots).size, `runs: ${JSON.stringify(runs)}`).toBe(runs.length);
      // Consecutive minutes: none skipped, even the one when the node that ran the job died.
      for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBe(1);
      expect(runs.slice(1).every((e) => e.node !== first.node)).toBe(true);
    } finally {
      await new Promise((r) => server.close(r));
    }
  }, 600_000);
});
