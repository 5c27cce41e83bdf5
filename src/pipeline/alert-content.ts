/**
 * What an alert message shows, from its outbox row: the same for the first delivery and for
 * every later re-render (a Slack message updated after a triage action), so the two never drift.
 */
import type { Mention } from '../core/types.js';
import type { AlertContent, SourceDisplay } from '../notifiers/types.js';
import { sourceManifest } from '../sources/registry.js';
import type { AlertRow } from '../store/types.js';

/** Mentions shown in one alert message; the total count is always given. */
export const MAX_MENTIONS_SHOWN = 10;

/** What a message is rendered from: the outbox's alert row, less its grouping keys. */
export type AlertRecord = Omit<AlertRow, 'ruleHash' | 'groupKey'>;

/** The ids of the mentions the message lists: the claimed ones, or an aggregate alert's examples. */
export function shownMentionIds(alert: Pick<AlertRecord, 'mentionIds' | 'sampleMentionIds'>): number[] {
  const ids = alert.mentionIds.length > 0 ? alert.mentionIds : alert.sampleMentionIds;
  return ids.slice(0, MAX_MENTIONS_SHOWN);
}

export function toAlertContent(alert: AlertRecord, mentions: Mention[], brandName: string): AlertContent {
  return {
    alertId: alert.id,
    rule: alert.rule,
    ruleType: alert.ruleType,
    brand: alert.brand,
    brandName,
    summary: alert.summary,
    mentions,
    totalMentions: alert.totalMentions,
    details: alert.details,
    sources: describeSources(mentions),
    createdAt: alert.createdAt,
  };
}

/** How the message names each source type of its mentions (notifiers cannot import the source registry). */
function describeSources(mentions: readonly Mention[]): AlertContent['sources'] {
  const out: Record<string, SourceDisplay> = {};
  for (const { source } of mentions) {
    const manifest = sourceManifest(source);
    if (manifest) out[source] = { label: manifest.label, reachUnit: manifest.reachUnit };
  }
  return out;
}
