/**
 * The full-text index of mentions stays exactly in step with the table: the store indexes each
 * mention it inserts (not a trigger: see migration 010), skips the ones it did not insert
 * (an existing id, a mention older than the retention horizon), and triggers still remove what
 * retention deletes. FTS5's own integrity check compares the index with the content table.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NewMention } from '../types.js';
import { openDatabase, setMeta } from './db.js';
import { ingestMentions, insertMention } from './mentions.js';

function mention(id: string, text: string, publishedAt = '2026-11-20T10:00:00.000Z'): NewMention {
  return {
    brand: 'acme', source: 'rss', sourceKey: 'acme/rss', sourceId: id, url: `https://news.example.com/${id}`, canonicalUrl: `https://news.example.com/${id}`,
    author: null, reach: null, title: `Title ${id}`, text, kind: null, linkUrl: null, language: 'en', publishedAt, fetchedAt: publishedAt,
    matchedTerms: ['acme'], sentiment: { label: 'neutral', score: 0, reasons: [] }, urgency: { level: 'low', score: 0, reasons: [] },
    fingerprint: `fp-${id}`, duplicateOf: null, storyKey: null, metrics: {}, alertState: 'new',
  } as NewMention;
}

describe('the mentions full-text index', () => {
  it('holds exactly the stored mentions through inserts, conflicts, the retention horizon and deletes', () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'earshot-fts-')), 'earshot.db'));
    try {
      const check = () => db.prepare("INSERT INTO mentions_fts (mentions_fts, rank) VALUES ('integrity-check', 1)").run();
      const find = (q: string) => db.prepare('SELECT rowid FROM mentions_fts WHERE mentions_fts MATCH ? ORDER BY rowid').pluck().all(q);
      const a = insertMention(db, mention('a', 'acme cloud outage in Berlin'))!;
      expect(insertMention(db, mention('a', 'a repeat of the same id'))).toBeNull();
      const [b, c] = ingestMentions(db, [mention('b', 'acme cloud refund please'), mention('c', 'the outage is over')]).map((r) => r.id);
      setMeta(db, 'retention.horizon', '2026-11-01T00:00:00.000Z');
      expect(insertMention(db, mention('old', 'an outage long ago', '2026-10-01T00:00:00.000Z'))).toBeNull();
      check();
      expect(find('outage')).toEqual([a, c]);
      expect(find('refund')).toEqual([b]);
      expect(find('repeat')).toEqual([]);
      db.prepare('DELETE FROM mentions WHERE id = ?').run(a);
      check();
      expect(find('outage')).toEqual([c]);
      db.prepare("UPDATE mentions SET text = 'now about a refund' WHERE id = ?").run(c);
      check();
      expect(find('refund')).toEqual([b, c]);
    } finally {
      db.close();
    }
  });
});
