import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test/helpers/cli.js';
import { pgQuery, postgresAvailability, startTestPostgres, withSkipReason, type TestPostgres } from '../../../test/helpers/postgres.js';
import { openDatabase } from '../sqlite/db.js';
import { MIGRATIONS } from '../migrations.js';
import { checkDatabaseUrl, openPostgres, PostgresConnectError, PostgresUrlError, PostgresVersionError, redactUrl } from './connect.js';
import { PG_MIGRATIONS } from './migrations.js';

describe('redactUrl and checkDatabaseUrl', () => {
  it.each([
    ['postgres://earshot:s3cret@db.example:5432/earshot', 'postgres://earshot:***@db.example:5432/earshot'],
    ['postgresql://u:p%40ss@h/db?sslmode=require&password=x', 'postgresql://u:***@h/db?sslmode=require&password=***'],
    ['postgres://h/db', 'postgres://h/db'],
    ['not a url with s3cret', '//***'],
  ])('%s -> %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it.each([
    ['mysql://u:s3cret@h/db', /mysql:\/\/u:\*\*\*@h\/db is not a PostgreSQL URL/],
    ['postgres://u:s3cret@h:5432', /names no database/],
    ['nonsense', /not a URL/],
  ])('refuses %s without showing the password', (url, message) => {
    expect(() => checkDatabaseUrl(url)).toThrow(PostgresUrlError);
    expect(() => checkDatabaseUrl(url)).toThrow(message);
    try {
      checkDatabaseUrl(url);
    } catch (err) {
      expect((err as Error).message).not.toContain('s3cret');
    }
  });
});

const availability = postgresAvailability();

describe.skipIf(!availability.ok)(withSkipReason('PostgreSQL schema and migrations', availability), () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await startTestPostgres();
  }, 120_000);
  afterAll(() => pg?.stop(), 60_000);

  it('migrates a fresh database, then finds nothing to do', async () => {
    const url = await pg.createDatabase('fresh');
    const first = await openPostgres(url);
    expect(first.applied).toEqual(PG_MIGRATIONS.map((m) => m.name));
    await first.close();
    const second = await openPostgres(url);
    expect(second.applied).toEqual([]);
    await second.close();
  });

  it('has the same tables, columns and keys as the SQLite schema, apart from the listed PostgreSQL-only ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-parity-'));
    try {
      const sqlite = openDatabase(join(dir, 'earshot.db'));
      const sqliteSchema = new Map<string, { columns: string[]; key: string[] }>();
      const tables = sqlite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'mentions_fts%'")
        .all() as Array<{ name: string }>;
      for (const { name } of tables) {
        const info = sqlite.prepare(`PRAGMA table_info(${name})`).all() as Array<{ name: string; pk: number }>;
        sqliteSchema.set(name, {
          columns: info.map((c) => c.name).sort(),
          key: info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
        });
      }
      sqlite.close();

      const db = await openPostgres(pg.url);
      const columns = (
        await db.pool.query<{ table_name: string; column_name: string }>(
          "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'earshot_migrations'",
        )
      ).rows;
      const keys = (
        await db.pool.query<{ table_name: string; column_name: string; ordinal_position: number }>(
          `SELECT k.table_name, k.column_name, k.ordinal_position FROM information_schema.table_constraints c
           JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name AND k.table_name = c.table_name
           WHERE c.table_schema = 'public' AND c.constraint_type = 'PRIMARY KEY' ORDER BY k.ordinal_position`,
        )
      ).rows;
      await db.close();

      const pgOnlyTables = new Set(['nodes', 'destinations', 'rate_buckets', 'slack_requests']);
      const pgOnlyColumns = new Set([
        'mentions.search',
        'source_state.poll_owner',
        'source_state.poll_lease_until',
        'deliveries.claim_token',
        'deliveries.claimed_by',
        'deliveries.lease_until',
      ]);
      const pgSchema = new Map<string, { columns: string[]; key: string[] }>();
      for (const c of columns) {
        if (pgOnlyTables.has(c.table_name) || pgOnlyColumns.has(`${c.table_name}.${c.column_name}`)) continue;
        const entry = pgSchema.get(c.table_name) ?? { columns: [], key: [] };
        entry.columns.push(c.column_name);
        pgSchema.set(c.table_name, entry);
      }
      for (const k of keys) pgSchema.get(k.table_name)?.key.push(k.column_name);
      for (const entry of pgSchema.values()) entry.columns.sort();
      expect(Object.fromEntries(pgSchema)).toEqual(Object.fromEntries(sqliteSchema));
      // Migrations mirror SQLite's by name, in the same order.
      const mirrored = PG_MIGRATIONS.map((m) => m.name).filter((name) => !name.startsWith('pg-'));
      expect(mirrored).toEqual(MIGRATIONS.map((m) => m.name));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('returns ids and counts as numbers, times as ISO strings in UTC, JSON parsed', async () => {
    const db = await openPostgres(pg.url);
    try {
      const { rows } = await db.pool.query(
        `INSERT INTO alerts (rule, rule_hash, rule_type, group_key, brand, summary, details, total_mentions, created_at)
         VALUES ('r', 'h', 'mention', '', 'acme', 's', $1, 3, $2) RETURNING id, created_at, details, total_mentions`,
        [JSON.stringify(['a', 'b']), '2025-03-30T01:30:00.123+02:00'],
      );
      expect(rows[0]).toEqual({ id: expect.any(Number), created_at: '2025-03-29T23:30:00.123Z', details: ['a', 'b'], total_mentions: 3 });
      const count = await db.pool.query('SELECT count(*) AS n, avg(total_mentions) AS avg FROM alerts');
      expect(count.rows[0]).toEqual({ n: 1, avg: 3 });
      // The session's time zone does not change what comes back.
      const client = await db.pool.connect();
      try {
        await client.query("SET TIME ZONE 'Pacific/Kiritimati'");
        const again = await client.query('SELECT created_at FROM alerts WHERE id = $1', [rows[0].id]);
        expect(again.rows[0].created_at).toBe('2025-03-29T23:30:00.123Z');
      } finally {
        client.release();
      }
    } finally {
      await db.close();
    }
  });

  it('does not store a mention published before the retention horizon again', async () => {
    const url = await pg.createDatabase('horizon');
    const db = await openPostgres(url);
    try {
      await db.pool.query("INSERT INTO meta (key, value) VALUES ('retention.horizon', '2025-01-01T00:00:00.000Z')");
      const insert = (sourceId: string, published: string) =>
        db.pool.query(
          `INSERT INTO mentions (brand, source, source_key, source_id, published_at, fetched_at, sentiment_label, sentiment_score, urgency_level, urgency_score)
           VALUES ('acme', 'rss', 'acme/rss', $1, $2, $2, 'neutral', 0, 'low', 0) ON CONFLICT DO NOTHING RETURNING id`,
          [sourceId, published],
        );
      expect((await insert('old', '2024-12-31T23:59:59.999Z')).rows).toEqual([]);
      expect((await insert('new', '2025-01-01T00:00:00.000Z')).rows).toHaveLength(1);
    } finally {
      await db.close();
    }
  });

  it('five processes starting at once migrate once', async () => {
    const url = await pg.createDatabase('cold');
    const script = `
      import { openPostgres } from ${JSON.stringify(join(repoRoot, 'src/store/pg/connect.ts'))};
      const db = await openPostgres(process.env.URL);
      console.log(JSON.stringify(db.applied));
      await db.close();
    `;
    const runs = Array.from({ length: 5 }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: repoRoot,
        env: { ...process.env, URL: url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      return new Promise<string[]>((resolve, reject) =>
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim()) as string[]) : reject(new Error(`exit ${code}: ${err}`)))),
      );
    });
    const applied = await Promise.all(runs);
    const all = PG_MIGRATIONS.map((m) => m.name);
    expect(applied.filter((a) => a.length > 0)).toEqual([all]);
    expect(applied.filter((a) => a.length === 0)).toHaveLength(4);
    const rows = await pgQuery<{ n: number }>(url, 'SELECT count(*)::int AS n FROM earshot_migrations');
    expect(rows[0]!.n).toBe(all.length);
    // Five tsx processes start at once: on a loaded 2-core machine that alone can take a minute.
  }, 240_000);

  it('refuses a database migrated by a newer earshot, without showing the password', async () => {
    const url = await pg.createDatabase('newer');
    await (await openPostgres(url)).close();
    await pgQuery(url, "INSERT INTO earshot_migrations (name, applied_by) VALUES ('999-from-the-future', 'test')");
    const error = (await openPostgres(url).then(() => null, (err: unknown) => err)) as Error;
    expect(error).toBeInstanceOf(PostgresVersionError);
    expect(error.message).toContain('999-from-the-future');
    expect(error.message).toContain('newer earshot');
    expect(error.message).not.toContain(new URL(url).password);
  });

  it('names the redacted URL when it cannot connect', async () => {
    const wrong = new URL(pg.url);
    wrong.password = 'not-the-password';
    const error = (await openPostgres(wrong.toString()).then(() => null, (err: unknown) => err)) as Error;
    expect(error).toBeInstanceOf(PostgresConnectError);
    expect(error.message).toMatch(/password authentication failed/);
    expect(error.message).toContain(':***@127.0.0.1');
    expect(error.message).not.toContain('not-the-password');
    expect(error.message).toContain('EARSHOT_DATABASE_URL');
  });
});
