/**
 * Digest delivery through a real SMTP server, parsed back with mailparser, and the
 * `earshot digest` command (preview to stdout, --out, --date, --send, argument errors).
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cron } from 'croner';
import { Parser } from 'htmlparser2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digestCommand } from '../src/cli/digest.js';
import { createContext, UserError, type Context } from '../src/cli/context.js';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { runDueDigests } from '../src/digest/index.js';
import { seedScenario, writeDeployment } from './helpers/digest-fixture.js';
import { seedMention } from './helpers/digest-seed.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

let smtp: TestSmtpServer;
let dir: string;
let dbDir: string;
let dbPath: string;

/** Every element name, attribute name and href in an HTML document, as a browser's parser sees them. */
function elementsOf(html: string): { tags: string[]; attributes: string[]; hrefs: string[] } {
  const tags: string[] = [];
  const attributes = new Set<string>();
  const hrefs: string[] = [];
  const parser = new Parser({
    onopentag(name, attrs) {
      tags.push(name);
      for (const [key, value] of Object.entries(attrs)) {
        attributes.add(key);
        if (key === 'href') hrefs.push(value);
      }
    },
  });
  parser.write(html);
  parser.end();
  return { tags, attributes: [...attributes], hrefs };
}

const HOSTILE_TEXT = '<script>alert(1)</script><img src="https://tracker.example/p.gif" onerror="x()"> refund please';

let templateDir: string;

// Seeded once; each test gets its own copy of the database file.
beforeAll(async () => {
  templateDir = mkdtempSync(join(tmpdir(), 'earshot-digest-template-'));
  const store = openSqliteStore(join(templateDir, 'earshot.db'));
  await seedScenario(store);
  await seedMention(store, {
    id: 'hostile', at: '2026-11-22T12:30:00.000Z', author: 'x"><b>bold</b>', text: HOSTILE_TEXT, url: 'javascript:alert(1)',
    sentiment: 'negative', urgency: 'high', urgencyScore: 0.5,
  });
  await store.close();
});

afterAll(() => rmSync(templateDir, { recursive: true, force: true }));

beforeEach(async () => {
  smtp = await startSmtpServer();
  dir = writeDeployment({ smtpUrl: smtp.url, digestExtra: '    list_unsubscribe: mailto:unsubscribe@example.com?subject=daily' });
  dbDir = mkdtempSync(join(tmpdir(), 'earshot-digest-mail-'));
  dbPath = join(dbDir, 'earshot.db');
  copyFileSync(join(templateDir, 'earshot.db'), dbPath);
});

afterEach(async () => {
  await smtp.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(dbDir, { recursive: true, force: true });
});

describe('scheduled digest mail', () => {
  it('is multipart/alternative with a readable text part, an escaped HTML part and list headers', async () => {
    const { config } = loadConfig(dir);
    const store = openSqliteStore(dbPath);
    let now = new Date('2026-11-23T06:00:00.000Z');
    const deps = { store, config, log: silentLogger(), now: () => now };
    await runDueDigests(deps);
    now = new Date('2026-11-23T07:00:01.000Z');
    expect(await runDueDigests(deps)).toEqual({ sent: ['daily'], failed: [] });
    const [mail] = await smtp.waitForMessages(1);
    const runs = await store.digests.list();
    await store.close();

    expect(mail!.envelope.to).toEqual(['team@example.com', 'lead@example.com']);
    expect(mail!.to).toEqual(['team@example.com', 'lead@example.com']);
    expect(mail!.headers.get('from')).toMatchObject({ value: [{ address: 'digest@example.com', name: 'earshot' }] });
    expect(mail!.subject).toBe('[earshot] Acme Cloud: 10 mentions, 4 need a reply, 4 sources with problems — Mon 23 Nov');
    expect(mail!.raw).toMatch(/Content-Type: multipart\/alternative/i);
    expect(mail!.headerLines.find((h) => h.key === 'list-unsubscribe')?.line).toBe('List-Unsubscribe: <mailto:unsubscribe@example.com?subject=daily>');
    expect(mail!.headers.get('x-earshot-digest')).toBe('daily');
    expect(mail!.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail!.headers.get('message-id')).toBe('<earshot.digest.daily.20261123T070000Z@example.com>');
    expect(runs[0]!.messageId).toBe('<earshot.digest.daily.20261123T070000Z@example.com>');
    expect(runs[0]!.recipients).toEqual(['team@example.com', 'lead@example.com']);

    // Text part: stands on its own.
    expect(mail!.text).toContain('10 mentions · +6 (+150%) on the period before (4)');
    expect(mail!.text).toContain('NEEDS A REPLY (4)');
    expect(mail!.text).toContain(HOSTILE_TEXT);
    expect(mail!.text).not.toContain('javascript:');

    // HTML part: content escaped, nothing remote, no script, no event handler, no SVG.
    const html = mail!.html;
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=&quot;https://tracker.example/p.gif&quot; onerror=&quot;x()&quot;&gt; refund please');
    expect(html).toContain('x&quot;&gt;&lt;b&gt;bold&lt;/b&gt;');
    const parsed = elementsOf(html);
    expect(parsed.tags.filter((t) => ['script', 'img', 'svg', 'style', 'link', 'iframe', 'object', 'embed'].includes(t))).toEqual([]);
    expect(parsed.attributes.filter((a) => a.startsWith('on') || a === 'src')).toEqual([]);
    expect(parsed.hrefs.filter((h) => !/^https?:\/\//.test(h))).toEqual([]);
    expect(html).toContain('<a href="https://example.com/twitter/m6"');
    expect(mail!.attachments).toEqual([]);
  });
});

describe('earshot digest', () => {
  let out: string[];
  let err: string[];
  let ctx: Context;

  beforeEach(() => {
    out = [];
    err = [];
    ctx = createContext({ configDir: dir, db: dbPath, logLevel: 'silent' }, { out: (l) => out.push(l), err: (l) => err.push(l) });
  });

  it('--date prints the plain text of that calendar day in the digest timezone, compared with the day before', async () => {
    expect(await digestCommand(ctx, { date: '2026-11-22' })).toBe(0);
    const lines = out.join('\n').split('\n');
    expect(lines[0]).toBe('earshot digest "daily"');
    expect(lines[1]).toBe('Sun 22 Nov 00:00 – Mon 23 Nov 00:00 (Europe/Berlin)');
    // p4 (07:59 Berlin) to m7, plus the hostile one: 10; the day before had p1-p3.
    expect(lines).toContain('10 mentions · +7 (+233%) on the period before (3)');
    expect(smtp.attempts).toEqual([]);
  });

  it('without --date builds the last complete scheduled period', async () => {
    expect(await digestCommand(ctx, {})).toBe(0);
    const end = new Cron('0 8 * * *', { timezone: 'Europe/Berlin', paused: true }).previousRuns(1, new Date())[0]!;
    const fmt = (d: Date) =>
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
        .format(d)
        .replace(',', '')
        .replace(' at ', ' ');
    expect(out.join('\n').split('\n')[1]).toMatch(new RegExp(`– ${fmt(end).replace(/\s+/g, '\\s+')} \\(Europe/Berlin\\)$`));
  });

  it('--out writes the HTML preview', async () => {
    const file = join(dbDir, 'preview.html');
    expect(await digestCommand(ctx, { date: '2026-11-22', out: file })).toBe(0);
    expect(out).toEqual([`digest daily: wrote ${file}`]);
    const html = readFileSync(file, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('Sun 22 Nov 00:00 – Mon 23 Nov 00:00 (Europe/Berlin)');
    expect(html).toContain('Needs a reply (4)');
  });

  it('--send mails the digests that include the brand, now', async () => {
    expect(await digestCommand(ctx, { brand: 'acme', date: '2026-11-22', send: true })).toBe(0);
    expect(out).toEqual(['digest daily: sent to team@example.com, lead@example.com']);
    const [mail] = await smtp.waitForMessages(1);
    expect(mail!.envelope.to).toEqual(['team@example.com', 'lead@example.com']);
    expect(mail!.subject).toBe('[earshot] Acme Cloud: 10 mentions, 4 need a reply, 4 sources with problems — Sun 22 Nov');
    // A manual send is not the scheduled one: it gets its own Message-ID and no digest_runs row.
    expect(mail!.headers.get('message-id')).not.toMatch(/^<earshot\.digest\./);
    const store = openSqliteStore(dbPath, { readonly: true });
    expect(await store.digests.list()).toEqual([]);
    await store.close();
  });

  it('--send reports a refused delivery and exits 1', async () => {
    smtp.rejectNext(1, 550, { message: 'mailbox unavailable' });
    expect(await digestCommand(ctx, { date: '2026-11-22', send: true })).toBe(1);
    expect(err.join('\n')).toMatch(/^earshot: digest daily not sent: SMTP: rejected.*550 mailbox unavailable/);
  });

  it.each([
    [{ send: true, out: 'x.html' }, '--send and --out: choose one'],
    [{ date: '22.11.2026' }, '--date 22.11.2026: expected a date like 2026-11-22 (YYYY-MM-DD)'],
    [{ date: '2026-02-30' }, '--date 2026-02-30: expected a date like 2026-11-22 (YYYY-MM-DD)'],
    [{ date: '2999-01-01' }, '--date 2999-01-01: that day is in the future (in Europe/Berlin)'],
    [{ brand: 'nope' }, '--brand nope: unknown brand; brands are acme'],
    [{ name: 'weekly' }, '--name weekly: no such digest; digests in rules/ are daily'],
  ])('rejects %o with a message that says what to do', async (options, message) => {
    await expect(digestCommand(ctx, options)).rejects.toThrow(UserError);
    await expect(digestCommand(ctx, options)).rejects.toThrow(message);
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
  });
});
