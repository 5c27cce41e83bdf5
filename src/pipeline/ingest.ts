/**
 * From fetched items to stored mentions: query match -> dedup -> analysis -> storage, in one
 * transaction per batch. Pollers and `earshot import` both come through here, so an imported
 * mention is treated exactly like a polled one.
 *
 *   - Only items matching the brand query are stored (and, when the brand lists languages, only
 *     those in them; an undetectable language is kept rather than lost).
 *   - The same source-side id is never stored twice (UNIQUE constraint).
 *   - The same URL or a near-identical text seen again is stored as a duplicate of the first
 *     (visible in history, never alerted).
 *   - Mentions from a source's first poll published before `alertFrom` are stored but not
 *     alerted (alert_backfill), so adding a brand never floods a channel with history.
 */
import type { BrandConfig } from '../config/load.js';
import { prepareText } from '../analyze/query/index.js';
import type { Analyzer, FetchedItem, SourceType } from '../core/types.js';
import type { Db } from '../store/db.js';
import { findOriginal, insertMention, mentionExists, type AlertState } from '../store/mentions.js';
import { canonicalUrl, textFingerprint } from './dedup.js';

export interface IngestTarget {
  db: Db;
  analyzer: Analyzer;
  brand: BrandConfig;
  source: SourceType;
  sourceKey: string;
  now: Date;
  /** Items published before this time are stored without alerting; null = alert on all. */
  alertFrom: Date | null;
  /** Store without alerting at all (`import --no-alerts`). */
  quiet?: boolean;
}

export interface IngestResult {
  fetched: number;
  /** Items already stored earlier (same source-side id): not new, not matched again. */
  known: number;
  matched: number;
  stored: number;
  duplicates: number;
  /** Stored mentions that rules will see. */
  alertable: number;
  ids: number[];
}

/** Max stored text length: a mention is a post, not a book (and the database stays bounded). */
const MAX_TEXT = 20_000;
const MAX_TITLE = 1_000;

export function ingestItems(target: IngestTarget, items: readonly FetchedItem[]): IngestResult {
  const { db, analyzer, brand } = target;
  const result: IngestResult = { fetched: items.length, known: 0, matched: 0, stored: 0, duplicates: 0, alertable: 0, ids: [] };
  const fetchedAt = target.now.toISOString();
  const seen = new Set<string>();
  db.transaction(() => {
    for (const item of items) {
      if (seen.has(item.sourceId) || mentionExists(db, brand.id, target.source, item.sourceId)) {
        result.known++;
        continue;
      }
      seen.add(item.sourceId);
      const title = item.title.slice(0, MAX_TITLE);
      const text = item.text.slice(0, MAX_TEXT);
      const terms = brand.matcher.match(prepareText(`${title}\n${text}`));
      if (!terms) continue;
      result.matched++;
      const analysis = analyzer.analyze({ title, text, reach: item.reach, brand: brand.context, ...(item.metrics ? { metrics: item.metrics } : {}) });
      const language = item.language ?? analysis.language;
      if (brand.languages && language && !brand.languages.includes(language.slice(0, 2))) continue;

      const canonical = canonicalUrl(item.url);
      const fingerprint = textFingerprint(title, text);
      const original = findOriginal(db, brand.id, canonical, fingerprint);
      const published = item.published ?? fetchedAt;
      let alertState: AlertState = 'new';
      if (original !== null) alertState = 'duplicate';
      else if (target.quiet) alertState = 'quiet';
      else if (target.alertFrom && Date.parse(published) < target.alertFrom.getTime()) alertState = 'backfill';

      const id = insertMention(db, {
        brand: brand.id,
        source: target.source,
        sourceKey: target.sourceKey,
        sourceId: item.sourceId,
        url: item.url,
        canonicalUrl: canonical,
        author: item.author,
        reach: item.reach,
        title,
        text,
        kind: item.kind ?? null,
        linkUrl: item.linkUrl ?? null,
        language: language ?? null,
        publishedAt: published,
        fetchedAt,
        matchedTerms: terms,
        sentiment: analysis.sentiment,
        urgency: analysis.urgency,
        duplicateOf: original,
        storyKey: item.linkUrl ? canonicalUrl(item.linkUrl) : canonical,
        metrics: item.metrics ?? {},
        fingerprint,
        alertState,
      });
      if (id === null) continue;
      result.stored++;
      result.ids.push(id);
      if (alertState === 'duplicate') result.duplicates++;
      if (alertState === 'new') result.alertable++;
    }
  }).immediate();
  return result;
}
