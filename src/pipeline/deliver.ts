/**
 * Sends what the outbox holds. Each delivery is marked sent only after the service accepted it.
 *   sent    -> done
 *   retry   -> tried again after the service's Retry-After, or else after a back-off of 5s, 10s,
 *              20s ... capped at 15 min, counted over consecutive failures of the same kind (a
 *              429 with Retry-After between two 500s does not make the next 500 wait longer);
 *              after 24 h of failing it is given up and marked failed (visible in status)
 *   failed  -> not retried (e.g. channel_not_found); reported in the log and `earshot status`
 * Per destination, deliveries go out in order (a delivery waiting out a Retry-After holds back
 * the ones behind it), spaced by the notifier's `minIntervalMs` (Slack: about one message per
 * second per channel).
 */
import type { Config } from '../config/load.js';
import type { Logger } from '../core/log.js';
import { notifierPlugin } from '../notifiers/registry.js';
import { missingReferencesHint, resolveTarget } from '../notifiers/target-env.js';
import { notifierSettingsFingerprint } from '../notifiers/settings.js';
import type { AlertContent, Notifier } from '../notifiers/types.js';
import { observeDelivery } from '../core/metrics.js';
import { shownMentionIds, toAlertContent } from './alert-content.js';
import type { AlertRow, DeliveryRow, RetryKind, Store } from '../store/types.js';

const BASE_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 15 * 60_000;
const GIVE_UP_AFTER_MS = 24 * 3_600_000;
/** Bound on queue rounds per deliverDue call, so one call never runs unbounded. */
const MAX_ROUNDS = 500;
/** Later alerts join a group's Slack thread only within a day of its first message. */
const THREAD_WINDOW_MS = 24 * 3_600_000;

/**
 * The service's Retry-After wins when it gave one; otherwise exponential back-off over the
 * consecutive failures of the same kind (`streak`, this one included).
 */
export function retryDelayMs(streak: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 500), MAX_BACKOFF_MS * 4);
  return Math.min(BASE_BACKOFF_MS * 2 ** Math.max(0, streak - 1), MAX_BACKOFF_MS);
}

/** The failure's kind and how many of that kind in a row: a different kind starts a new streak. */
export function retryStreak(delivery: Pick<DeliveryRow, 'retryKind' | 'retryStreak'>, retryAfterMs: number | undefined): { kind: RetryKind; streak: number } {
  const kind: RetryKind = retryAfterMs !== undefined ? 'rate_limited' : 'unavailable';
  return { kind, streak: delivery.retryKind === kind ? delivery.retryStreak + 1 : 1 };
}

export interface DeliverResult {
  sent: number;
  retried: number;
  failed: number;
}

export interface DelivererOptions {
  /** Overrides every notifier's minimum spacing per target (`minIntervalMs`; Slack 1 s); tests use 0. */
  spacingMs?: number;
}

export class Deliverer {
  private readonly notifiers = new Map<string, Notifier>();
  private readonly lastSent = new Map<string, number>();
  private readonly spacingOverrideMs: number | undefined;

  constructor(
    private readonly store: Store,
    private config: Config,
    private readonly log: Logger,
    private readonly now: () => Date,
    options: DelivererOptions = {},
  ) {
    this.spacingOverrideMs = options.spacingMs;
  }

  /** The notifier's settings fingerprint now: a failed delivery records it (see retryOffers). */
  private settings(type: string): string | null {
    return notifierSettingsFingerprint(type, this.config.env);
  }

  /** A reload may change credentials or endpoints: notifiers are rebuilt lazily. */
  async setConfig(config: Config): Promise<void> {
    this.config = config;
    await this.close();
  }

  private notifier(type: string): Notifier | null {
    const existing = this.notifiers.get(type);
    if (existing) return existing;
    const plugin = notifierPlugin(type);
    if (!plugin) return null;
    const created = plugin.create(this.config.env);
    this.notifiers.set(type, created);
    return created;
  }

  /**
   * Threads: a later alert of the same rule and group replies to the group's first message
   * (within a day). Notifiers without threads (email) ignore the reference.
   */
  private async threadFor(delivery: DeliveryRow, alert: AlertRow): Promise<string | null> {
    const rule = this.config.rules.find((r) => r.name === alert.rule);
    if (!rule?.thread) return null;
    const since = new Date(Date.parse(alert.createdAt) - THREAD_WINDOW_MS).toISOString();
    return this.store.outbox.threadRoot(alert.rule, alert.groupKey, delivery.notifier, delivery.target, since);
  }

  private async content(alert: AlertRow): Promise<AlertContent> {
    const mentions = await this.store.mentions.get(shownMentionIds(alert));
    return toAlertContent(alert, mentions, this.config.brands.get(alert.brand)?.name ?? alert.brand);
  }

  /**
   * Attempts every delivery that is due now, each at most once. Returns counts; the caller
   * calls again later (the daemon at the next due time, `poll --once` until nothing is due).
   */
  async deliverDue(signal?: AbortSignal): Promise<DeliverResult> {
    const result: DeliverResult = { sent: 0, retried: 0, failed: 0 };
    const released = await this.store.outbox.releaseHeld(this.now().toISOString());
    if (released > 0) this.log.info({ released }, 'quiet hours over: held alerts released');
    // Each round takes the head of every destination's queue; the next round the ones behind
    // them. A delivery that failed is not due again this call (its retry time is in the future).
    const tried = new Set<number>();
    for (let round = 0; round < MAX_ROUNDS && !signal?.aborted; round++) {
      const due = (await this.store.outbox.dueDeliveries(this.now().toISOString())).filter((d) => !tried.has(d.id));
      if (due.length === 0) break;
      for (const delivery of due) {
        if (signal?.aborted) break;
        tried.add(delivery.id);
        const destination = `${delivery.notifier}:${delivery.target}`;
        const spacing = this.spacingOverrideMs ?? notifierPlugin(delivery.notifier)?.minIntervalMs ?? 0;
        const last = this.lastSent.get(destination);
        const wait = last === undefined ? 0 : last + spacing - this.now().getTime();
        if (wait > 0) await sleep(wait, signal);
        const outcome = await this.attempt(delivery, signal);
        observeDelivery(delivery.notifier, outcome);
        this.lastSent.set(destination, this.now().getTime());
        result[outcome]++;
      }
    }
    return result;
  }

  private async attempt(delivery: DeliveryRow, signal?: AbortSignal): Promise<'sent' | 'retried' | 'failed'> {
    const at = this.now();
    const alert = await this.store.outbox.getAlert(delivery.alertId);
    const content = alert ? await this.content(alert) : null;
    const log = this.log.child({ rule: content?.rule, brand: content?.brand, delivery: delivery.id, alert: delivery.alertId, notifier: delivery.notifier, target: delivery.target });
    const notifier = this.notifier(delivery.notifier);
    if (!alert || !content || !notifier) {
      await this.store.outbox.markFailed(delivery.id, at.toISOString(), content ? `notifier ${delivery.notifier} is not available` : 'alert not found', this.settings(delivery.notifier));
      return 'failed';
    }
    // `${NAME}` targets are read from the environment only now: the outbox and logs keep the name.
    const target = resolveTarget(delivery.target, this.config.env);
    if (!target.ok) {
      await this.store.outbox.markFailed(delivery.id, at.toISOString(), `${delivery.target}: ${missingReferencesHint(target.missing)}`, this.settings(delivery.notifier));
      log.error({ missing: target.missing }, 'alert delivery failed: its target reads an unset variable');
      return 'failed';
    }
    const threadRef = await this.threadFor(delivery, alert);
    let outcome;
    try {
      outcome = await notifier.send(target.value, content, { ...(signal ? { signal } : {}), ...(threadRef ? { threadRef } : {}) });
    } catch (err) {
      // A notifier should return outcomes, not throw; an exception is treated as transient.
      outcome = { status: 'retry' as const, error: `unexpected error: ${(err as Error).message}` };
    }
    const done = this.now().toISOString();
    if (outcome.status === 'sent') {
      await this.store.outbox.markSent(delivery.id, done, outcome.ref ?? null);
      log.info({ ref: outcome.ref }, 'alert delivered');
      return 'sent';
    }
    if (outcome.status === 'failed') {
      await this.store.outbox.markFailed(delivery.id, done, outcome.error, this.settings(delivery.notifier));
      log.error({ error: outcome.error }, 'alert delivery failed; not retried');
      return 'failed';
    }
    const age = at.getTime() - Date.parse(content.createdAt);
    if (age > GIVE_UP_AFTER_MS) {
      await this.store.outbox.markFailed(delivery.id, done, `gave up after 24 h of retries; last error: ${outcome.error}`, this.settings(delivery.notifier));
      log.error({ error: outcome.error }, 'alert delivery given up after 24 h');
      return 'failed';
    }
    const { kind, streak } = retryStreak(delivery, outcome.retryAfterMs);
    const delay = retryDelayMs(streak, outcome.retryAfterMs);
    await this.store.outbox.markRetry(delivery.id, { at: done, nextAt: new Date(at.getTime() + delay).toISOString(), error: outcome.error, kind, streak });
    log.warn({ error: outcome.error, retryInMs: delay, attempt: delivery.attempts + 1, kind, streak }, 'alert delivery failed; will retry');
    return 'retried';
  }

  async close(): Promise<void> {
    const all = [...this.notifiers.values()];
    this.notifiers.clear();
    await Promise.all(all.map((n) => n.close?.().catch(() => undefined)));
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
