/**
 * A digest is sent once per period cluster-wide: three real `earshot run` nodes on one
 * PostgreSQL database start together, each finds the same period due (its time passed, inside
 * the catch-up window) and tries to claim it; one claims and sends, the others do not.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledCli, spawnCompiled } from '../scripts/soak.js';
import { openPostgresStore } from '../src/store/pg/store.js';
import { makeDeployment } from './helpers/cli.js';
import { pgQuery, postgresAvailability, startTestPostgres, withSkipReason, type TestPostgres } from './helpers/postgres.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';
import { until } from './helpers/wait.js';

const availability = postgresAvailability();

describe.skipIf(!availability.ok)(withSkipReason('a digest across three nodes on PostgreSQL', availability), () => {
  let pg: TestPostgres;
  let smtp: TestSmtpServer;
  const nodes: ChildProcess[] = [];
  beforeAll(async () => {
    [pg, smtp] = await Promise.all([startTestPostgres(), startSmtpServer()]);
  }, 120_000);
  afterAll(async () => {
    for (const n of nodes) if (n.exitCode === null) n.kill('SIGKILL');
    await smtp?.close();
    await pg?.stop();
  }, 60_000);

  it('sends the due period once, whichever node claims it', async () => {
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never-polled.xml\n    every: 1h\n`,
      // Daily at midnight UTC, caught up for a day: whenever the test runs, the last period is due.
      'rules/alerts.yaml': 'rules: []\ndigests:\n  - name: daily\n    schedule: "0 0 * * *"\n    timezone: UTC\n    to: [team@example.com]\n    catch_up: 24h\n',
      '.env': `EARSHOT_DATABASE_URL=${pg.url}\nSMTP_URL=${smtp.url}\nEMAIL_FROM=earshot@example.com\n`,
    });
    // The deployment has known the digest for two days (a digest first seen now waits for its
    // next period), so its last period is due on start.
    const store = await openPostgresStore(pg.url);
    await store.meta.set('digest.first_seen.daily', new Date(Date.now() - 2 * 86_400_000).toISOString());
    await store.close();
    const launcher = compiledCli();
    const logs = ['', '', ''];
    for (let i = 0; i < 3; i++) {
      const child = spawnCompiled(launcher, dir, ['run', '--no-watch']);
      child.stderr!.on('data', (d: Buffer) => (logs[i] += d.toString()));
      child.stdout!.resume();
      nodes.push(child);
    }
    const dump = (what: string) => (err: unknown) => {
      throw new Error(`${what}: ${(err as Error).message}\n${logs.map((l, i) => `--- node ${i + 1}\n${l.split('\n').slice(-15).join('\n')}`).join('\n')}`);
    };
    await until(() => logs.every((l) => l.includes('joined the cluster')), 120_000, 'three nodes in the cluster').catch(dump('start'));
    await smtp.waitForMessages(1, 120_000).catch(dump('the digest'));
    await until(
      async () => (await pgQuery<{ status: string }>(pg.url, "SELECT status FROM digest_runs WHERE digest = 'daily'")).some((r) => r.status === 'sent'),
      60_000,
      'the period recorded as sent',
    ).catch(dump('the digest run'));

    // Stopping the nodes lets any send in flight finish: a second copy would be counted below.
    for (const n of nodes) n.kill('SIGTERM');
    const codes = await Promise.all(nodes.map((n) => new Promise((r) => (n.exitCode !== null ? r(n.exitCode) : n.on('exit', r)))));
    expect(codes).toEqual([0, 0, 0]);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.to).toEqual(['team@example.com']);
    const runs = await pgQuery<{ status: string; n: number }>(pg.url, "SELECT status, count(*)::int AS n FROM digest_runs WHERE digest = 'daily' GROUP BY status");
    expect(runs).toEqual([{ status: 'sent', n: 1 }]);
  }, 300_000);
});
