/**
 * The Notifier interface. One folder per notifier (`src/notifiers/<type>/`), listed once in
 * `registry.ts`.
 *
 * A notifier renders an alert for its medium and delivers it, and returns a typed outcome; it
 * never decides about retries itself (the outbox does) and never throws for a delivery failure:
 *   - 2xx / accepted                   -> { status: 'sent' }
 *   - 429                              -> { status: 'retry', retryAfterMs } from Retry-After
 *   - 5xx, network errors, timeouts    -> { status: 'retry' } (the outbox backs off)
 *   - other 4xx / permanent errors     -> { status: 'failed' } (reported, not retried)
 * Errors never contain a secret (token, password, webhook URL).
 */
import type { Mention } from '../core/types.js';

export const NOTIFIER_TYPES = ['slack', 'email'] as const;
export type NotifierType = (typeof NOTIFIER_TYPES)[number];

export interface AlertContent {
  /** The outbox row id; stable across retries. */
  alertId: number;
  /** Name of the rule that fired. */
  rule: string;
  ruleType: string;
  brand: string;
  brandName: string;
  /**
   * One plain-text line saying what happened, e.g. 'Negative mention of Acme Cloud on reddit'
   * or 'Volume spike: 64 mentions of Acme Cloud in 1h (baseline 12/h)'. Escaped by the notifier.
   */
  summary: string;
  /** The mentions this alert is about: one for a mention rule, several for a grouped burst. */
  mentions: Mention[];
  /** How many mentions the alert stands for (may exceed mentions.length when the list is capped). */
  totalMentions: number;
  /** Extra plain-text lines (aggregate figures, why it fired). */
  details: string[];
  /** When the alert was created (ISO 8601 UTC). */
  createdAt: string;
}

export type DeliveryOutcome =
  | { status: 'sent'; /** Service-side reference: Slack message ts, SMTP message id. */ ref?: string }
  | { status: 'retry'; error: string; /** From Retry-After, when the service sent one. */ retryAfterMs?: number }
  | { status: 'failed'; error: string };

export interface SendOptions {
  /** Reply in this thread (Slack ts of an earlier alert of the same group), when supported. */
  threadRef?: string;
  signal?: AbortSignal;
}

export interface Notifier {
  type: NotifierType;
  /** `target` is the channel ('#brand-alerts', 'C0123') or the email address from the rule's notify. */
  send(target: string, alert: AlertContent, options?: SendOptions): Promise<DeliveryOutcome>;
  close?(): Promise<void>;
}

export interface NotifierPlugin {
  type: NotifierType;
  description: string;
  /** Environment variables this notifier needs; missing ones are reported by `earshot check`. */
  requiredEnv: string[];
  /** Messages to one target are spaced at least this far apart (a service's rate limit), if set. */
  minIntervalMs?: number;
  /** Validates a target ('#channel', 'a@b.c'); returns a problem or null. */
  validateTarget(target: string): string | null;
  create(env: Record<string, string | undefined>): Notifier;
}
