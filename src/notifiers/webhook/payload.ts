/**
 * The JSON body a webhook receives: the alert and its mentions, in snake_case, versioned. Mention
 * text is carried as stored (JSON escapes it; the receiver decides how to show it).
 */
import type { Mention } from '../../core/types.js';
import { sourceDisplay } from '../format.js';
import type { AlertContent } from '../types.js';

/** Bumped when a field changes meaning or disappears; new fields may appear without a bump. */
export const WEBHOOK_PAYLOAD_VERSION = 1;

export interface WebhookMention {
  id: number;
  source: string;
  source_label: string;
  source_id: string;
  url: string | null;
  author: string | null;
  reach: number | null;
  reach_unit: string;
  title: string;
  text: string;
  language: string | null;
  published: string;
  sentiment: { label: string; score: number; reasons: string[] };
  urgency: { level: string; score: number; reasons: string[] };
  /** Moderation and irony scores in [0, 1], when the analyzer gave them. */
  flags?: Record<string, number>;
}

export interface WebhookPayload {
  version: number;
  event: 'alert';
  alert_id: number;
  rule: string;
  rule_type: string;
  brand: string;
  brand_name: string;
  summary: string;
  details: string[];
  total_mentions: number;
  created_at: string;
  mentions: WebhookMention[];
}

/** The analyzer's flags (null for mentions stored before flags existed: left out). */
function flagsOf(mention: Mention): Record<string, number> | undefined {
  const flags: unknown = mention.flags;
  if (!flags || typeof flags !== 'object') return undefined;
  const entries = Object.entries(flags as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number');
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function mentionOf(mention: Mention, alert: AlertContent): WebhookMention {
  const source = sourceDisplay(alert, mention.source);
  const flags = flagsOf(mention);
  return {
    id: mention.id,
    source: mention.source,
    source_label: source.label,
    source_id: mention.sourceId,
    url: mention.url,
    author: mention.author,
    reach: mention.reach,
    reach_unit: source.reachUnit,
    title: mention.title,
    text: mention.text,
    language: mention.language,
    published: mention.publishedAt,
    sentiment: { label: mention.sentiment.label, score: mention.sentiment.score, reasons: mention.sentiment.reasons },
    urgency: { level: mention.urgency.level, score: mention.urgency.score, reasons: mention.urgency.reasons },
    ...(flags ? { flags } : {}),
  };
}

export function webhookPayload(alert: AlertContent): WebhookPayload {
  return {
    version: WEBHOOK_PAYLOAD_VERSION,
    event: 'alert',
    alert_id: alert.alertId,
    rule: alert.rule,
    rule_type: alert.ruleType,
    brand: alert.brand,
    brand_name: alert.brandName,
    summary: alert.summary,
    details: alert.details,
    total_mentions: alert.totalMentions,
    created_at: alert.createdAt,
    mentions: alert.mentions.map((m) => mentionOf(m, alert)),
  };
}
