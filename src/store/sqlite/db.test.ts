import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseVersionError, openDatabase, schemaVersion } from './db.js';
import { MIGRATIONS } from '../migrations.js';

function olderDatabase(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'earshot-db-')), 'earshot.db');
  const db = new Database(path);
  db.exec(MIGRATIONS[0]!.sql);
  db.pragma('user_version = 1');
  db.close();
  return path;
}

const columns = (db: Database.Database, table: string) => (db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name);

describe('openDatabase', () => {
  it('migrates an older database to the current schema', () => {
    const db = openDatabase(olderDatabase());
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(columns(db, 'deliveries')).toContain('hold_reason');
    db.close();
  });

  it('a read-only open of an older database migrates it first, so readers see today’s columns', () => {
    const db = openDatabase(olderDatabase(), { readonly: true });
    expect(db.readonly).toBe(true);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(columns(db, 'deliveries')).toContain('hold_reason');
    db.close();
  });

  it('refuses a database from a newer earshot, read-only or not', () => {
    const path = olderDatabase();
    const raw = new Database(path);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => openDatabase(path)).toThrow(DatabaseVersionError);
    expect(() => openDatabase(path, { readonly: true })).toThrow(DatabaseVersionError);
  });
});
