/**
 * backup, export and the schema-version guard, through the CLI on real SQLite files:
 * a backup taken while another connection keeps writing is consistent, opens, passes
 * integrity_check and works as a restored deployment; CSV export is RFC 4180 (parsed back with
 * csv-parse) and JSON lines parse back to the stored mentions; a database from a newer earshot is
 * refused with a clear message and exit 1.
 */
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupCommand } from '../src/cli/backup.js';
import { verifyBackup } from '../src/store/sqlite/backup.js';
import { createContext } from '../src/cli/context.js';
import { CSV_COLUMNS } from '../src/cli/export.js';
import { openDatabase, type Db } from '../src/store/sqlite/db.js';
import { insertMention, listMentions } from '../src/store/sqlite/mentions.js';
import type { NewMention } from '../src/store/types.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { triageStoreOf } from '../src/store/index.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import { applyAction } from '../src/triage/actions.js';
import { makeDeployment, runCli } from './helpers/cli.js';

const SOURCES = `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: https://feeds.example.com/acme.xml\n`;

function deployment(): { dir: string; dbPath: string } {
  const dir = makeDeployment({ 'sources/acme.yaml': SOURCES, 'rules/alerts.yaml': 'rules: []\n' });
  return { dir, dbPath: join(dir, 'data/earshot.db') };
}

let seq = 0;
function mention(overrides: Partial<NewMention> = {}): NewMention {
  seq++;
  return {
    brand: 'acme',
    source: 'rss',
    sourceKey: 'acme/rss',
    sourceId: `s-${seq}`,
    url: `https://news.example.com/${seq}`,
    canonicalUrl: `https://news.example.com/${seq}`,
    author: `author ${seq}`,
    reach: seq,
    title: `Acme Cloud item ${seq}`,
    text: `Acme Cloud body ${seq}`,
    kind: 'article',
    linkUrl: null,
    language: 'en',
    publishedAt: new Date(Date.UTC(2026, 10, 1) + seq * 60_000).toISOString(),
    fetchedAt: new Date(Date.UTC(2026, 10, 1) + seq * 60_000 + 5_000).toISOString(),
    matchedTerms: ['acme cloud'],
    sentiment: { label: 'negative', score: -0.75, reasons: ['worst', 'negation: "not good"'] },
    urgency: { level: 'high', score: 0.8, reasons: ['outage'] },
    duplicateOf: null,
    storyKey: null,
    metrics: { points: 3 },
    fingerprint: `fp-${seq}`,
    alertState: 'evaluated',
    ...overrides,
  };
}

function fill(db: Db, n: number, size = 1_000): void {
  const body = 'Acme Cloud outage report with details. '.repeat(Math.ceil(size / 40));
  db.transaction(() => {
    for (let i = 0; i < n; i++) insertMention(db, mention({ text: `${body}${i}` }));
  })();
}

const countMentions = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM mentions').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('earshot backup', () => {
  it('takes a consistent copy while another connection keeps writing; the copy restores and opens', async () => {
    const { dir, dbPath } = deployment();
    const writer = openDatabase(dbPath);
    fill(writer, 3_000);
    const before = countMentions(dbPath);
    let written = 0;
    let writing = true;
    // Another connection writes between the backup's steps, as the daemon would.
    const loop = (async () => {
      while (writing) {
        writer.transaction(() => insertMention(writer, mention()))();
        written++;
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const copy = join(dir, 'copy.db');
    const result = await runCli(dir, ['backup', copy]);
    writing = false;
    await loop;
    const after = countMentions(dbPath);
    writer.close();

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(written).toBeGreaterThan(0);
    const check = verifyBackup(copy);
    expect(check.integrity).toBe('ok');
    expect(check.schemaVersion).toBe(MIGRATIONS.length);
    expect(check.mentions).toBeGreaterThanOrEqual(before);
    expect(check.mentions).toBeLessThanOrEqual(after);
    expect(result.stdout).toBe(
      `backed up ${dbPath} to ${copy}: ${(check.bytes / 1024 / 1024).toFixed(1)} MB, schema v${MIGRATIONS.length}, ${check.mentions} mentions, integrity ok`,
    );
    expect(statSync(copy).mode & 0o777).toBe(0o600);
    expect(existsSync(`${copy}.tmp-${process.pid}`)).toBe(false);

    // Restore: the copy becomes another deployment's database and earshot uses it as is.
    const restored = deployment();
    const restoredDb = join(restored.dir, 'restored.db');
    copyFileSync(copy, restoredDb);
    const status = await runCli(restored.dir, ['--db', restoredDb, 'status', '--json']);
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { database: { mentions: number; schemaVersion: number } }).database).toMatchObject({
      mentions: check.mentions,
      schemaVersion: MIGRATIONS.length,
    });
    const reopened = openDatabase(restoredDb);
    expect(reopened.pragma('integrity_check', { simple: true })).toBe('ok');
    reopened.close();
  }, 30_000);

  it('refuses to overwrite without --force and names the problem', async () => {
    const { dir, dbPath } = deployment();
    const db = openDatabase(dbPath);
    fill(db, 3);
    db.close();
    const copy = join(dir, 'copy.db');
    expect((await runCli(dir, ['backup', copy])).code).toBe(0);
    const again = await runCli(dir, ['backup', copy]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`earshot: ${copy} already exists: not overwritten (use --force)`);
    expect((await runCli(dir, ['backup', '--force', copy])).code).toBe(0);
    const noDir = await runCli(dir, ['backup', join(dir, 'missing', 'x.db')]);
    expect(noDir.code).toBe(1);
    expect(noDir.stderr).toContain('does not exist');
  });

  it('shows progress on a terminal and nothing when piped', async () => {
    const { dir, dbPath } = deployment();
    const db = openDatabase(dbPath);
    fill(db, 400, 4_000);
    db.close();
    const ctx = createContext({ configDir: dir, logLevel: 'silent' }, { out: () => undefined, err: () => undefined });
    const tty = { isTTY: true, columns: 100, chunks: [] as string[], write(s: string) { this.chunks.push(s); } };
    const pipe = { isTTY: false, chunks: [] as string[], write(s: string) { this.chunks.push(s); } };
    await backupCommand(ctx, join(dir, 'a.db'), { progressStream: tty });
    await backupCommand(ctx, join(dir, 'b.db'), { progressStream: pipe });
    expect(tty.chunks.join('')).toMatch(/\rbackup: \d+\/\d+ pages \(\d+%\) 0:0\d\u001b\[K/);
    expect(tty.chunks.at(-1)).toMatch(/^backup: 400 mentions copied in 0:0\d\n$/);
    expect(pipe.chunks).toEqual([]);
  });
});

describe('earshot export', () => {
  const TRICKY = [
    'plain',
    'comma, inside',
    'a "quoted" word',
    'two\nlines',
    'crlf\r\nline',
    '=HYPERLINK("http://evil.example","click")',
    '+1 great',
    '@here look',
    'emoji 🚀 and ünïcödé',
  ];

  function seeded(): { dir: string; ids: number[] } {
    const { dir, dbPath } = deployment();
    const db = openDatabase(dbPath);
    const ids = TRICKY.map((text, i) =>
      insertMention(db, mention({ text: `Acme Cloud ${text}`, title: i === 5 ? '-5 stars' : `title ${i}`, author: i === 6 ? '=cmd' : null, reach: i === 0 ? null : i, ...(i === 1 ? { flags: { offensive: 0.91, hate: 0.04, irony: 0.12 } } : {}) }))!,
    );
    insertMention(db, mention({ brand: 'other', text: 'Acme Cloud other brand', publishedAt: '2026-11-20T00:00:00.000Z' }));
    db.close();
    return { dir, ids };
  }

  /** The team worked on the second mention: handled, assigned, tagged, sentiment corrected. */
  async function triaged(dir: string, id: number): Promise<void> {
    const store = openSqliteStore(join(dir, 'data/earshot.db'));
    const triage = await triageStoreOf(store);
    const actor = { kind: 'api' as const, id: 'qa', name: 'qa' };
    for (const [action, value] of [['handle', undefined], ['assign', 'maria'], ['tag', 'refund'], ['sentiment', 'neutral']] as const) {
      await applyAction(triage, { mentionId: id, action, ...(value ? { value } : {}), actor });
    }
    await store.close();
  }

  it('writes RFC 4180 CSV that a CSV parser reads back to the stored values, with formula cells guarded', async () => {
    const { dir, ids } = seeded();
    await triaged(dir, ids[1]!);
    const r = await runCli(dir, ['export', '--format', 'csv', '--brand', 'acme']);
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\r')).toBe(true);
    const csv = `${r.stdout}\n`;
    // Every record ends with CRLF, also the header.
    expect(csv.startsWith(`${CSV_COLUMNS.join(',')}\r\n`)).toBe(true);
    const rows = parse(csv, { columns: true, record_delimiter: '\r\n', relax_quotes: false }) as Array<Record<string, string>>;
    expect(rows.map((row) => Number(row.id))).toEqual(ids);

    const db = new Database(join(dir, 'data/earshot.db'), { readonly: true });
    const stored = listMentions(db, { brand: 'acme', order: 'asc' });
    db.close();
    for (const [i, row] of rows.entries()) {
      const m = stored[i]!;
      const guard = (s: string | null) => (s === null ? '' : /^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
      expect(row).toEqual({
        id: String(m.id),
        brand: 'acme',
        source: 'rss',
        source_key: 'acme/rss',
        source_id: m.sourceId,
        published_at: m.publishedAt,
        fetched_at: m.fetchedAt,
        url: m.url,
        author: guard(m.author),
        reach: m.reach === null ? '' : String(m.reach),
        kind: 'article',
        language: 'en',
        title: guard(m.title),
        text: guard(m.text),
        sentiment: i === 1 ? 'neutral' : 'negative',
        sentiment_score: i === 1 ? row.sentiment_score : '-0.75',
        sentiment_reasons: i === 1 ? row.sentiment_reasons : 'worst; negation: "not good"',
        urgency: 'high',
        urgency_score: '0.8',
        urgency_reasons: 'outage',
        matched_terms: 'acme cloud',
        link_url: '',
        story_key: '',
        duplicate_of: '',
        status: i === 1 ? 'handled' : 'open',
        assignee: i === 1 ? 'maria' : '',
        tags: i === 1 ? 'refund' : '',
        flag_offensive: i === 1 ? '0.91' : '',
        flag_hate: i === 1 ? '0.04' : '',
        flag_irony: i === 1 ? '0.12' : '',
      });
    }
    expect(rows[3]!.text).toBe('Acme Cloud two\nlines');
    expect(rows[4]!.text).toBe('Acme Cloud crlf\r\nline');
    expect(rows[5]!.title).toBe("'-5 stars");
    expect(rows[6]!.author).toBe("'=cmd");

    const raw = await runCli(dir, ['export', '--brand', 'acme', '--raw']);
    const rawRows = parse(`${raw.stdout}\n`, { columns: true }) as Array<Record<string, string>>;
    expect(rawRows[5]!.title).toBe('-5 stars');
    expect(rawRows[6]!.author).toBe('=cmd');
  });

  it('writes JSON lines that parse back to the stored mentions; --since, --source and --out filter and redirect', async () => {
    const { dir, ids } = seeded();
    await triaged(dir, ids[1]!);
    const r = await runCli(dir, ['export', '--format', 'jsonl']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').map((l) => JSON.parse(l) as { id: number; brand: string; publishedAt: string; text: string });
    const db = new Database(join(dir, 'data/earshot.db'), { readonly: true });
    const stored = listMentions(db, { order: 'asc' });
    db.close();
    // The stored mentions with their triage fields, as `earshot mentions --json` writes them.
    const open = { status: 'open', statusAt: null, snoozedUntil: null, assignee: null, tags: [], sentimentCorrectedFrom: null };
    expect(lines).toEqual(
      stored.map((m) =>
        m.id === ids[1]
          ? { ...m, ...open, status: 'handled', statusAt: expect.any(String), assignee: 'maria', tags: ['refund'], sentiment: expect.objectContaining({ label: 'neutral' }), sentimentCorrectedFrom: 'negative' }
          : { ...m, ...open },
      ),
    );
    const viaMentions = await runCli(dir, ['mentions', '--json', '--since', '2026-01-01', '--brand', 'acme']);
    expect(viaMentions.stdout.split('\n').map((l) => JSON.parse(l) as unknown).reverse()).toEqual(lines.filter((m) => m.brand === 'acme'));

    const cut = lines[4]!.publishedAt;
    const since = await runCli(dir, ['export', '--format', 'jsonl', '--since', cut]);
    const sinceRows = since.stdout.split('\n').map((l) => JSON.parse(l) as { publishedAt: string });
    expect(sinceRows).toEqual(lines.filter((m) => m.publishedAt >= cut));
    expect(sinceRows.length).toBeLessThan(lines.length);

    const none = await runCli(dir, ['export', '--source', 'twitter']);
    expect(none.stdout).toBe(`${CSV_COLUMNS.join(',')}\r`);

    const out = join(dir, 'export.csv');
    const toFile = await runCli(dir, ['export', '--out', out]);
    expect(toFile.stdout).toBe('');
    const parsed = parse(readFileSync(out, 'utf8'), { columns: true }) as unknown[];
    expect(parsed).toHaveLength(lines.length);
    expect(statSync(out).mode & 0o777).toBe(0o600);

    const bad = await runCli(dir, ['export', '--format', 'xlsx']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("option '--format <format>' argument 'xlsx' is invalid");
    const badSince = await runCli(dir, ['export', '--since', 'yesterdayish']);
    expect(badSince.code).toBe(1);
    expect(badSince.stderr).toContain('--since yesterdayish: expected a duration like 24h or 7d');
  });
});

describe('schema version', () => {
  it.each([['status'], ['export'], ['backup', 'copy.db'], ['mentions'], ['poll', '--once']])(
    '`earshot %s` refuses a database written by a newer earshot: clear message, exit 1',
    async (...args) => {
      const { dir, dbPath } = deployment();
      openDatabase(dbPath).close();
      const db = new Database(dbPath);
      db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
      db.close();
      const r = await runCli(dir, args.map((a) => (a === 'copy.db' ? join(dir, a) : a)));
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `earshot: ${dbPath} has schema version ${MIGRATIONS.length + 5}, but this earshot knows only up to ${MIGRATIONS.length}: ` +
          'it was written by a newer earshot. Upgrade earshot, or point --db at another file.',
      );
      // Nothing was changed: the version is still the newer one.
      const after = new Database(dbPath, { readonly: true });
      expect(after.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length + 5);
      after.close();
    },
  );
});

describe('a --db that is not a database', () => {
  it.each([['status'], ['mentions'], ['poll', '--once']])('`earshot %s` names the file and what to do, exit 1, and leaves it alone', async (...args) => {
    const { dir, dbPath } = deployment();
    mkdirSync(dirname(dbPath), { recursive: true });
    writeFileSync(dbPath, 'a spreadsheet someone saved here, not SQLite at all '.repeat(100));
    const r = await runCli(dir, args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`earshot: ${dbPath} is not an earshot database (SQLite: file is not a database): point --db`);
    expect(r.stderr).not.toContain('internal error');
    expect(readFileSync(dbPath, 'utf8')).toMatch(/^a spreadsheet/);
  });

  it('a directory is named as one', async () => {
    const { dir, dbPath } = deployment();
    mkdirSync(dbPath, { recursive: true });
    const r = await runCli(dir, ['status']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`earshot: ${dbPath} is a directory: --db (or EARSHOT_DB) names the database file, e.g. ${join(dbPath, 'earshot.db')}`);
  });
});
