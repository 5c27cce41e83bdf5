/**
 * One daemon per SQLite database, with real processes: a second `earshot run` on the same file
 * exits 1 naming the running one; a daemon killed with SIGKILL leaves nothing that blocks the
 * next start (the lock is the operating system's, released when the process dies).
 */
import { hostname } from 'node:os';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compiledCli, spawnCompiled } from '../scripts/soak.js';
import { openDatabase } from '../src/store/sqlite/db.js';
import { insertAlert, markFailed } from '../src/store/sqlite/outbox.js';
import { collect, makeDeployment, runCli } from './helpers/cli.js';
import { until } from './helpers/wait.js';

const dirs: string[] = [];
const children: Array<{ kill: (s: NodeJS.Signals) => boolean; exitCode: number | null; signalCode: NodeJS.Signals | null }> = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function deployment(): string {
  const dir = makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/feed.xml\n    every: 1h\n`,
    'rules/alerts.yaml': 'rules: []\n',
  });
  dirs.push(dir);
  return dir;
}

function start(launcher: string, dir: string) {
  const child = spawnCompiled(launcher, dir, ['run', '--no-watch']);
  children.push(child);
  return { child, out: collect(child) };
}

describe('one daemon per database', () => {
  it('refuses a second `earshot run` naming the first, and a SIGKILLed daemon never blocks a restart', async () => {
    const launcher = compiledCli();
    const dir = deployment();
    const first = start(launcher, dir);
    await until(() => first.out.stderr().includes('earshot started'), 30_000, 'the first daemon to start');

    const second = start(launcher, dir);
    const code = await second.out.exited;
    expect(code).toBe(1);
    const message = second.out.stderr();
    expect(message).toContain(`pid ${first.child.pid} on ${hostname()}`);
    expect(message).toMatch(/already running .*data\/earshot\.db/);
    expect(message).toMatch(/since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(message).not.toMatch(/earshot started|internal error/);
    expect(statSync(join(dir, 'data/earshot.db.lock')).mode & 0o777).toBe(0o600);

    // The running daemon shows in status.
    const status = await runCli(dir, ['status', '--json']);
    expect((JSON.parse(status.stdout) as { daemon: { pid: number; host: string; running: boolean } }).daemon).toMatchObject({ pid: first.child.pid, host: hostname(), running: true });

    // `outbox retry` leaves the sending to the running daemon instead of racing it.
    const db = openDatabase(join(dir, 'data/earshot.db'));
    const alertId = insertAlert(db, {
      rule: 'r', ruleHash: 'h', ruleType: 'mention', groupKey: 'g', brand: 'acme', summary: 's', details: [], mentionIds: [], totalMentions: 1,
      createdAt: new Date().toISOString(), deliveries: [{ notifier: 'slack', target: '#x', status: 'skipped' }],
    })!;
    const { id } = db.prepare('SELECT id FROM deliveries WHERE alert_id = ?').get(alertId) as { id: number };
    markFailed(db, id, new Date().toISOString(), 'invalid_auth');
    db.close();
    const retry = await runCli(dir, ['outbox', 'retry', '--failed']);
    expect(retry.stdout).toBe(`1 delivery queued again; the running daemon (pid ${first.child.pid} on ${hostname()}) sends them within 30 s`);
    expect(retry.code).toBe(0);

    first.child.kill('SIGKILL');
    await first.out.exited;
    const third = start(launcher, dir);
    await until(() => third.out.stderr().includes('earshot started') || third.child.exitCode !== null, 30_000, 'the restarted daemon');
    expect(third.out.stderr()).toContain('earshot started');
    third.child.kill('SIGTERM');
    expect(await third.out.exited).toBe(0);

    const after = await runCli(dir, ['status', '--json']);
    expect((JSON.parse(after.stdout) as { daemon: { running: boolean } }).daemon).toMatchObject({ running: false });
  }, 90_000);
});
