/**
 * From fetched items to stored mentions: query match -> analysis -> dedup -> storage, in one
 * transaction per batch (the steps that need no database are in prepare.ts). Pollers and
 * `earshot import` both come through here, so an imported mention is treated exactly like a
 * polled one.
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
import type { Analyzer, FetchedItem, SourceType } from '../core/types.js';
import type { AlertState, MentionCandidate, Repositories } from '../store/types.js';
import { MAX_TEXT, MAX_TITLE, prepareItem, type PreparedItem } from './prepare.js';

export interface IngestTarget {
  /** The store, or the caller's transaction (`earshot import` stores a whole batch in one). */
  store: Repositories;
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
  /** Stored without alerts: published before `alertFrom` (the first poll of a source, alert_backfill). */
  backfill: number;
  ids: number[];
}

/**
 * `prepared[i]`, when given, is `prepareItem(brand, analyzer, items[i])` computed ahead (in a
 * worker thread); items without one are prepared here. Two store calls per batch: which ids
 * are known, then the new mentions in one transaction (the store marks duplicates).
 */
export async function ingestItems(
  target: IngestTarget,
  items: readonly FetchedItem[],
  prepared?: readonly (PreparedItem | null | undefined)[],
): Promise<IngestResult> {
  const { store, analyzer, brand } = target;
  const result: IngestResult = { fetched: items.length, known: 0, matched: 0, stored: 0, duplicates: 0, alertable: 0, backfill: 0, ids: [] };
  const fetchedAt = target.now.toISOString();
  const known = await store.mentions.knownSourceIds(
    brand.id,
    target.source,
    items.map((item) => item.sourceId),
  );
  const seen = new Set<string>();
  const candidates: MentionCandidate[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (seen.has(item.sourceId) || known.has(item.sourceId)) {
      result.known++;
      continue;
    }
    seen.add(item.sourceId);
    const p = prepared?.[i] ?? prepareItem(brand, analyzer, item);
    if (!p.terms) continue;
    result.matched++;
    if (!p.keep || !p.analysis) continue;

    const published = item.published ?? fetchedAt;
    let alertState: AlertState = 'new';
    if (target.quiet) alertState = 'quiet';
    else if (target.alertFrom && Date.parse(published) < target.alertFrom.getTime()) alertState = 'backfill';
    candidates.push({
      brand: brand.id,
      source: target.source,
      sourceKey: target.sourceKey,
      sourceId: item.sourceId,
      url: item.url,
      canonicalUrl: p.canonicalUrl,
      author: item.author,
      reach: item.reach,
      title: item.title.slice(0, MAX_TITLE),
      text: item.text.slice(0, MAX_TEXT),
      kind: item.kind ?? null,
      linkUrl: item.linkUrl ?? null,
      language: p.language,
      publishedAt: published,
      fetchedAt,
      matchedTerms: p.terms,
      sentiment: p.analysis.sentiment,
      urgency: p.analysis.urgency,
      flags: p.analysis.flags,
      storyKey: p.storyKey,
      metrics: item.metrics ?? {},
      fingerprint: p.fingerprint,
      alertState,
    });
  }
  if (candidates.length === 0) return result;
  const stored = await store.mentions.ingest(candidates);
  stored.forEach((s, i) => {
    if (s.id === null) return;
    result.stored++;
    result.ids.push(s.id);
    const state = s.duplicateOf !== null ? 'duplicate' : candidates[i]!.alertState;
    if (state === 'duplicate') result.duplicates++;
    if (state === 'new') result.alertable++;
    if (state === 'backfill') result.backfill++;
  });
  return result;
}
