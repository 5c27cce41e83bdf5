/**
 * The Notifier interface. One folder per notifier (`src/notifiers/<type>/`) with a `manifest.ts`
 * (what config loading, `earshot check` and `earshot init` need: type, label, how a target is
 * written and validated, the environment it reads) that loads the sending code on first send;
 * `registry.ts` lists the manifests.
 *
 * A notifier renders an alert for its medium and delivers it, and returns a typed outcome; it
 * never decides about retries itself (the outbox does) and never throws for a delivery failure:
 *   - 2xx / accepted                   -> { status: 'sent' }
 *   - 429                              -> { status: 'retry', retryAfterMs } from Retry-After
 *   - 5xx, network errors, timeouts    -> { status: 'retry' } (the outbox backs off)
 *   - other 4xx / permanent errors     -> { status: 'failed' } (reported, not retried)
 * Errors never contain a secret (token, password, webhook URL).
 */
import type { EnvDoc } from '../core/plugin.js';
import type { Mention } from '../core/types.js';

/** A notifier type ('slack', 'email', ...); the list is `NOTIFIER_TYPES` in registry.ts. */
export type NotifierType = string;

/** How alerts name a source type: from the source registry (notifiers cannot import it). */
export interface SourceDisplay {
  /** 'Reddit', 'a feed'. */
  label: string;
  /** What `reach` counts: 'followers', 'karma', 'points'. */
  reachUnit: string;
}

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
  /** The source types of `mentions`, described (see `sourceDisplay` in format.ts for the fallback). */
  sources: Readonly<Record<string, SourceDisplay>>;
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

/** What an online check found about one thing: the credentials, or one target. */
export interface VerifyResult {
  /** What was checked, e.g. 'slack token', 'slack #brand-alerts', 'email SMTP login'. */
  subject: string;
  /** unchecked: this notifier cannot tell without sending (the message says why). */
  status: 'ok' | 'failed' | 'unchecked';
  /** What was found, and for a failure what to do. Never a secret. */
  message: string;
}

export interface Notifier {
  type: NotifierType;
  /** `target` is the channel ('#brand-alerts', 'C0123') or the email address from the rule's notify. */
  send(target: string, alert: AlertContent, options?: SendOptions): Promise<DeliveryOutcome>;
  /**
   * `earshot check --online`: are the credentials accepted, and can each target receive alerts?
   * One cheap call per thing, never a message sent; never throws. A notifier without it is
   * reported as not checked.
   */
  verify?(targets: readonly string[], options?: { signal?: AbortSignal }): Promise<VerifyResult[]>;
  close?(): Promise<void>;
}

export type Env = Record<string, string | undefined>;

/** How a notify target is written in rules/*.yaml, for messages and schemas. */
export interface TargetDoc {
  /** As in `{ slack: "#channel" }`: '"#channel"', 'address', 'URL'. */
  placeholder: string;
  /** Several targets may share one notify entry (`email: [a@example.com, b@example.com]`). */
  many?: boolean;
  /** The variable the docs suggest for a target that is a secret, e.g. 'DISCORD_WEBHOOK_URL'. */
  envExample?: string;
}

/**
 * A notifier as the registry knows it, without its sending code: imported by config loading and
 * so by `earshot check`, which must start fast (no SDK, no renderer).
 */
export interface NotifierManifest {
  type: NotifierType;
  /** One line for help text and docs. */
  description: string;
  /** How lists name it: 'Slack', 'email', 'Discord'. */
  label: string;
  /** Environment variables this notifier needs; missing ones are reported by `earshot check`. */
  requiredEnv: string[];
  /** Its lines in .env.example; null when it reads none. */
  env: EnvDoc | null;
  /** Messages to one target are spaced at least this far apart (a service's rate limit), if set. */
  minIntervalMs?: number;
  target: TargetDoc;
  /** Validates a target ('#channel', 'a@b.c', a URL); returns a problem or null. */
  validateTarget(target: string): string | null;
  /**
   * True when a target written literally carries a credential (a webhook URL with its token):
   * `earshot check` warns and suggests `${NAME}` from the environment instead.
   */
  secretInTarget?(target: string): boolean;
  /** The notify entry `earshot init` writes (without the leading '- '), a comment included. */
  example: string;
  /** The sending code, loaded on first send. */
  load(): Promise<(env: Env) => Notifier>;
}

/** A notifier ready to create: the manifest's fields plus `create`. */
export interface NotifierPlugin extends Omit<NotifierManifest, 'load'> {
  create(env: Env): Notifier;
}
