/**
 * Digest scheduling with a controlled clock and a real SMTP server: Europe/Berlin across both
 * DST changes, restarts just before and after the run time (a fresh process state over the same
 * database), catch-up after downtime, retries, and quiet periods.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/core/log.js';
import { nextDigestAt, runDueDigests, type DigestDeps } from '../src/digest/index.js';
import { writeDeployment, type DeploymentOptions } from './helpers/digest-fixture.js';
import { seedMention, seedPolls } from './helpers/digest-seed.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/store.js';
import type { Store } from '../src/store/types.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

let smtp: TestSmtpServer;
let dbDir: string;
let dbPath: string;
const open: SqliteStore[] = [];
const dirs: string[] = [];

beforeEach(async () => {
  smtp = await startSmtpServer();
  dbDir = mkdtempSync(join(tmpdir(), 'earshot-digest-sched-'));
  dbPath = join(dbDir, 'earshot.db');
});

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  await smtp.close();
  for (const dir of [dbDir, ...dirs.splice(0)]) rmSync(dir, { recursive: true, force: true });
});

interface Process {
  deps: DigestDeps;
  logs: string[];
  setNow(iso: string): void;
}

/**
 * A fresh earshot process: config loaded from disk, the database opened anew, its own clock.
 * Nothing is shared with an earlier "process" but the database file.
 */
function startProcess(now: string, options: DeploymentOptions = {}): Process {
  const dir = writeDeployment({ smtpUrl: smtp.url, ...options });
  dirs.push(dir);
  const { config, problems } = loadConfig(dir);
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  const store = openSqliteStore(dbPath);
  open.push(store);
  let clock = new Date(now);
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level: 'info', stream, pretty: false });
  return { deps: { store, config, log, now: () => clock }, logs, setNow: (iso) => (clock = new Date(iso)) };
}

async function stop(p: Process): Promise<void> {
  await p.deps.store.close();
  open.splice(open.indexOf(p.deps.store as SqliteStore), 1);
}

async function runs(p: Process) {
  return (await p.deps.store.digests.list()).map((r) => ({ start: r.periodStart, end: r.periodEnd, status: r.status, attempts: r.attempts }));
}

describe('digest schedule (Europe/Berlin, daily at 08:00)', () => {
  it('stays at 08:00 local across the March DST change: a 23-hour period, sent once', async () => {
    const p = startProcess('2026-03-28T06:59:00.000Z');
    // The deployment polled before (then stopped): these periods have no polls, which is a problem.
    await seedPolls(p.deps.store, 'acme/rss', '2026-03-20T07:00:00.000Z', '2026-03-20T08:00:00.000Z', 15 * 60_000);
    expect(await runDueDigests(p.deps)).toEqual({ sent: [], failed: [] });
    expect(await nextDigestAt(p.deps)).toEqual(new Date('2026-03-28T07:00:00.000Z'));

    p.setNow('2026-03-28T07:00:05.000Z');
    expect(await runDueDigests(p.deps)).toEqual({ sent: ['daily'], failed: [] });
    // Sunday 29 March: clocks go forward at 02:00, so 08:00 local is 06:00Z.
    expect(await nextDigestAt(p.deps)).toEqual(new Date('2026-03-29T06:00:00.000Z'));
    p.setNow('2026-03-29T05:59:59.000Z');
    expect(await runDueDigests(p.deps)).toEqual({ sent: [], failed: [] });
    p.setNow('2026-03-29T06:00:01.000Z');
    expect(await runDueDigests(p.deps)).toEqual({ sent: ['daily'], failed: [] });

    expect(await runs(p)).toEqual([
      { start: '2026-03-27T07:00:00.000Z', end: '2026-03-28T07:00:00.000Z', status: 'sent', attempts: 1 },
      { start: '2026-03-28T07:00:00.000Z', end: '2026-03-29T06:00:00.000Z', status: 'sent', attempts: 1 },
    ]);
    const mails = await smtp.waitForMessages(2);
    expect(mails).toHaveLength(2);
    expect(mails[1]!.text).toContain('Sat 28 Mar 08:00 – Sun 29 Mar 08:00 (Europe/Berlin)');
    expect(mails[1]!.subject).toBe('[earshot] Acme Cloud: quiet day, no new mentions, 4 sources with problems — Sun 29 Mar');
  });

  it('stays at 08:00 local across the October DST change: a 25-hour period with 25 hourly buckets', async () => {
    const p = startProcess('2026-10-24T05:00:00.000Z');
    await runDueDigests(p.deps);
    await seedMention(p.deps.store, { id: 'late', at: '2026-10-25T06:30:00.000Z', text: 'acme at 07:30 CET' });
    p.setNow('2026-10-24T06:00:10.000Z');
    expect(await runDueDigests(p.deps)).toEqual({ sent: ['daily'], failed: [] });
    // Sunday 25 October: clocks go back at 03:00, so 08:00 local is 07:00Z.
    expect(await nextDigestAt(p.deps)).toEqual(new Date('2026-10-25T07:00:00.000Z'));
    p.setNow('2026-10-25T06:30:00.000Z');
    expect(await runDueDigests(p.deps)).toEqual({ sent: [], failed: [] });
    p.setNow('2026-10-25T07:00:00.000Z');
    expect(await runDueDigests(p.deps)).toEqual({ sent: ['daily'], failed: [] });
    expect((await runs(p)).map((r) => [r.start, r.end])).toEqual([
      ['2026-10-23T06:00:00.000Z', '2026-10-24T06:00:00.000Z'],
      ['2026-10-24T06:00:00.000Z', '2026-10-25T07:00:00.000Z'],
    ]);
    const [, mail] = await smtp.waitForMessages(2);
    expect(mail!.text).toContain('Sat 24 Oct 08:00 – Sun 25 Oct 08:00 (Europe/Berlin)');
    // 25 hourly buckets, the mention in the last one (07:30 CET is the 25th hour).
    expect(mail!.text).toContain(`Volume per hour: |${'▁'.repeat(24)}█| peak 1 at 07:00`);
  });

  it.each([
    ['07:59', '2026-11-23T06:59:00.000Z'],
    ['08:01', '2026-11-23T07:01:00.000Z'],
  ])('a restart at %s local neither skips nor duplicates the 08:00 digest', async (_label, restartAt) => {
    const first = startProcess('2026-11-23T06:00:00.000Z');
    await runDueDigests(first.deps);
    if (restartAt > '2026-11-23T07:00:00.000Z') {
      // The first process sent it at 08:00:02, then stopped; the new one starts at 08:01.
      first.setNow('2026-11-23T07:00:02.000Z');
      expect((await runDueDigests(first.deps)).sent).toEqual(['daily']);
    }
    await stop(first);

    const second = startProcess(restartAt);
    await runDueDigests(second.deps);
    second.setNow('2026-11-23T07:00:30.000Z');
    await runDueDigests(second.deps);
    await stop(second);

    const third = startProcess('2026-11-23T07:02:00.000Z');
    expect(await runDueDigests(third.deps)).toEqual({ sent: [], failed: [] });
    expect(await nextDigestAt(third.deps)).toEqual(new Date('2026-11-24T07:00:00.000Z'));

    // Every send was awaited, and the server records a message before it answers 250: what
    // arrived is all there is.
    expect(smtp.messages).toHaveLength(1);
    expect(await runs(third)).toEqual([{ start: '2026-11-22T07:00:00.000Z', end: '2026-11-23T07:00:00.000Z', status: 'sent', attempts: 1 }]);
  });

  it('two processes on one database send the period once', async () => {
    const a = startProcess('2026-11-23T06:00:00.000Z');
    const b = startProcess('2026-11-23T06:00:00.000Z');
    await runDueDigests(a.deps);
    a.setNow('2026-11-23T07:00:00.000Z');
    b.setNow('2026-11-23T07:00:00.000Z');
    const results = await Promise.all([runDueDigests(a.deps), runDueDigests(b.deps)]);
    expect(results.map((r) => r.sent).flat()).toEqual(['daily']);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.attempts).toHaveLength(1);
  });

  it('claims every due digest before sending, so the timer does not spin while a send is in flight', async () => {
    const extraFiles = { 'rules/more.yaml': 'digests:\n  - name: execs\n    schedule: "0 8 * * *"\n    timezone: Europe/Berlin\n    to: [ceo@example.com]\n' };
    const p = startProcess('2026-11-23T06:00:00.000Z', { extraFiles });
    await runDueDigests(p.deps);
    p.setNow('2026-11-23T07:00:00.000Z');
    expect(await nextDigestAt(p.deps)).toEqual(new Date('2026-11-23T07:00:00.000Z'));
    const held = smtp.holdNext();
    const running = runDueDigests(p.deps);
    // Both periods are claimed before the first SMTP exchange: the next wake-up is the claim timeout.
    await held.reached;
    expect((await p.deps.store.digests.list()).map((r) => [r.status, r.claimedAt])).toEqual([
      ['pending', '2026-11-23T07:00:00.000Z'],
      ['pending', '2026-11-23T07:00:00.000Z'],
    ]);
    expect(await nextDigestAt(p.deps)).toEqual(new Date('2026-11-23T07:05:00.000Z'));
    held.release();
    expect(await running).toEqual({ sent: ['daily', 'execs'], failed: [] });
    expect(await nextDigestAt(p.deps)).toEqual(new Date('2026-11-24T07:00:00.000Z'));
    const mails = await smtp.waitForMessages(2);
    expect(mails.map((m) => m.envelope.to)).toEqual([['team@example.com', 'lead@example.com'], ['ceo@example.com']]);
  });

  it('a process that died mid-send is taken over after the claim timeout', async () => {
    const dead = startProcess('2026-11-23T06:00:00.000Z');
    await runDueDigests(dead.deps);
    // Claimed at 08:00 and never finished (killed between claim and the SMTP reply).
    expect(await dead.deps.store.digests.claim('daily', '2026-11-22T07:00:00.000Z', '2026-11-23T07:00:00.000Z', '2026-11-23T07:00:00.000Z', '2026-11-23T06:55:00.000Z')).not.toBeNull();
    await stop(dead);
    const next = startProcess('2026-11-23T07:01:00.000Z');
    expect(await runDueDigests(next.deps)).toEqual({ sent: [], failed: [] });
    expect(await nextDigestAt(next.deps)).toEqual(new Date('2026-11-23T07:05:00.000Z'));
    next.setNow('2026-11-23T07:05:00.001Z');
    expect(await runDueDigests(next.deps)).toEqual({ sent: ['daily'], failed: [] });
    expect(smtp.messages).toHaveLength(1);
  });

  it('a daemon that was down at 08:00 sends the missed digest when it comes back within catch_up', async () => {
    const before = startProcess('2026-11-22T20:00:00.000Z');
    await runDueDigests(before.deps);
    await stop(before);
    const after = startProcess('2026-11-23T12:30:00.000Z');
    expect(await nextDigestAt(after.deps)).toEqual(new Date('2026-11-23T12:30:00.000Z'));
    expect(await runDueDigests(after.deps)).toEqual({ sent: ['daily'], failed: [] });
    const [mail] = await smtp.waitForMessages(1);
    expect(mail!.text).toContain('Sun 22 Nov 08:00 – Mon 23 Nov 08:00 (Europe/Berlin)');
  });

  it('past its catch_up window a missed digest is recorded and logged, not sent late', async () => {
    const before = startProcess('2026-11-22T20:00:00.000Z', { digestExtra: '    catch_up: 2h' });
    await runDueDigests(before.deps);
    await stop(before);
    const after = startProcess('2026-11-23T09:00:01.000Z', { digestExtra: '    catch_up: 2h' });
    expect(await runDueDigests(after.deps)).toEqual({ sent: [], failed: [] });
    expect(await runs(after)).toEqual([{ start: '2026-11-22T07:00:00.000Z', end: '2026-11-23T07:00:00.000Z', status: 'missed', attempts: 0 }]);
    expect(after.logs.join('')).toContain('digest missed: earshot was not running at its time (past catch_up)');
    expect(await nextDigestAt(after.deps)).toEqual(new Date('2026-11-24T07:00:00.000Z'));
    after.setNow('2026-11-24T07:00:00.000Z');
    expect(await runDueDigests(after.deps)).toEqual({ sent: ['daily'], failed: [] });
    expect(smtp.messages).toHaveLength(1);
  });

  it('a digest added after its run time does not send the past period', async () => {
    const p = startProcess('2026-11-23T10:00:00.000Z');
    expect(await nextDigestAt(p.deps)).toEqual(new Date('2026-11-24T07:00:00.000Z'));
    expect(await runDueDigests(p.deps)).toEqual({ sent: [], failed: [] });
    expect(await runs(p)).toEqual([]);
  });

  it('a rejected send is logged and retried with backoff, then sent exactly once', async () => {
    const p = startProcess('2026-11-23T06:00:00.000Z');
    await runDueDigests(p.deps);
    smtp.rejectNext(2, 451);
    p.setNow('2026-11-23T07:00:00.000Z');
    expect(await runDueDigests(p.deps)).toEqual({ sent: [], failed: ['daily'] });
    expect(await nextDigestAt(p.deps)).toEqual(new Date('2026-11-23T07:01:00.000Z'));
    p.setNow('2026-11-23T07:00:59.000Z');
    expect(await runDueDigests(p.deps)).toEqual({ sent: [], failed: [] });
    p.setNow('2026-11-23T07:01:00.000Z');
    expect(await runDueDigests(p.deps)).toEqual({ sent: [], failed: ['daily'] });
    expect(await nextDigestAt(p.deps)).toEqual(new Date('2026-11-23T07:03:00.000Z'));
    p.setNow('2026-11-23T07:03:00.000Z');
    expect(await runDueDigests(p.deps)).toEqual({ sent: ['daily'], failed: [] });
    expect(await runs(p)).toEqual([{ start: '2026-11-22T07:00:00.000Z', end: '2026-11-23T07:00:00.000Z', status: 'sent', attempts: 3 }]);
    expect(smtp.attempts.map((a) => a.code)).toEqual([451, 451, 250]);
    expect(p.logs.join('')).toContain('digest not sent; will retry');
    expect(p.logs.join('')).toContain('451');
  });

  it('gives up when the catch-up window closes while the server keeps refusing', async () => {
    const p = startProcess('2026-11-23T06:00:00.000Z', { digestExtra: '    catch_up: 3m' });
    await runDueDigests(p.deps);
    smtp.rejectNext(5, 550);
    p.setNow('2026-11-23T07:00:00.000Z');
    expect((await runDueDigests(p.deps)).failed).toEqual(['daily']);
    p.setNow('2026-11-23T07:01:00.000Z');
    expect((await runDueDigests(p.deps)).failed).toEqual(['daily']);
    expect((await runs(p)).map((r) => [r.status, r.attempts])).toEqual([['pending', 2]]);
    // 07:03 is the window's last moment: one more attempt, then the next retry (07:07) is past it.
    p.setNow('2026-11-23T07:03:00.000Z');
    expect((await runDueDigests(p.deps)).failed).toEqual(['daily']);
    expect(await runs(p)).toEqual([{ start: '2026-11-22T07:00:00.000Z', end: '2026-11-23T07:00:00.000Z', status: 'failed', attempts: 3 }]);
    expect(smtp.attempts.map((a) => a.code)).toEqual([550, 550, 550]);
    expect(p.logs.join('')).toContain('digest failed: giving up');
    expect(await nextDigestAt(p.deps)).toEqual(new Date('2026-11-24T07:00:00.000Z'));
  });

  describe('quiet periods', () => {
    function seedHealthyPolls(store: Store): Promise<void> {
      return store.transaction(async (tx) => {
        for (const [key, every] of [['acme/rss', 15], ['acme/reddit', 5], ['acme/twitter', 2], ['acme/hackernews', 10]] as const) {
          await seedPolls(tx, key, '2026-11-22T07:00:00.000Z', '2026-11-23T07:00:00.000Z', every * 60_000);
        }
      });
    }

    it('quiet_day: skip sends nothing when there is nothing to report', async () => {
      const p = startProcess('2026-11-23T06:00:00.000Z', { digestExtra: '    quiet_day: skip' });
      await seedHealthyPolls(p.deps.store);
      await runDueDigests(p.deps);
      p.setNow('2026-11-23T07:00:00.000Z');
      expect(await runDueDigests(p.deps)).toEqual({ sent: [], failed: [] });
      expect((await runs(p)).map((r) => r.status)).toEqual(['skipped']);
      expect(smtp.attempts).toEqual([]);
    });

    it('quiet_day: skip still sends when a source failed (the quiet may be a gap)', async () => {
      const p = startProcess('2026-11-23T06:00:00.000Z', { digestExtra: '    quiet_day: skip' });
      // Polled the day before, not in this period.
      await seedPolls(p.deps.store, 'acme/rss', '2026-11-21T07:00:00.000Z', '2026-11-21T08:00:00.000Z', 15 * 60_000);
      await runDueDigests(p.deps);
      p.setNow('2026-11-23T07:00:00.000Z');
      expect(await runDueDigests(p.deps)).toEqual({ sent: ['daily'], failed: [] });
      const [mail] = await smtp.waitForMessages(1);
      expect(mail!.text).toContain('! acme/rss: not polled at all in this period: was earshot running?');
    });

    it('quiet_day: short (default) sends a short quiet-day digest', async () => {
      const p = startProcess('2026-11-23T06:00:00.000Z');
      await seedHealthyPolls(p.deps.store);
      await runDueDigests(p.deps);
      p.setNow('2026-11-23T07:00:00.000Z');
      expect(await runDueDigests(p.deps)).toEqual({ sent: ['daily'], failed: [] });
      const [mail] = await smtp.waitForMessages(1);
      expect(mail!.subject).toBe('[earshot] Acme Cloud: quiet day, no new mentions — Mon 23 Nov');
      expect(mail!.text.split('\n').filter(Boolean)).toEqual([
        'Quiet day — earshot digest "daily"',
        'Sun 22 Nov 08:00 – Mon 23 Nov 08:00 (Europe/Berlin)',
        'No new mentions of Acme Cloud in this period.',
        'ACME CLOUD',
        '----------',
        'Quiet: no new mentions in this period (0 the period before).',
        // rss every 15m, reddit 5m, twitter 2m, hackernews 10m over 24 hours.
        `All 4 sources polled normally (${96 + 288 + 720 + 144} polls).`,
        '--',
        'Sent by earshot. Times are Europe/Berlin. Duplicates and reposts are not counted.',
      ]);
    });
  });
});
