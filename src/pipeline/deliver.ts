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
 *
 * Several nodes on one PostgreSQL database (`claims`): each delivery is claimed first (FOR UPDATE
 * SKIP LOCKED, a token, a lease renewed while it is being sent) and its outcome recorded only with
 * the claim's token; the database keeps the per-destination order and spacing across nodes (see
 * src/store/pg/cluster.ts). A node that dies mid-send leaves a claim that expires and is sent by
 * another node: at most one repeat per message in flight.
 */
import type { Config } from '../config/load.js';
import type { Logger } from '../core/log.js';
import { NOTIFIER_TYPES, notifierPlugin } from '../notifiers/registry.js';
import { missingReferencesHint, resolveTarget } from '../notifiers/target-env.js';
import { notifierSettingsFingerprint } from '../notifiers/settings.js';
import type { AlertContent, Notifier } from '../notifiers/types.js';
import { observeDelivery } from '../core/metrics.js';
import { shownMentionIds, toAlertContent } from './alert-content.js';
import type { ClaimedDelivery, ClusterRepo } from '../store/pg/cluster.js';
import { isConnectionLoss } from '../store/errors.js';
import type { AlertRow, DeliveryRow, RetryKind, RetryMark, Store } from '../store/types.js';
import { sleep } from '../core/sleep.js';

const BASE_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 15 * 60_000;
const GIVE_UP_AFTER_MS = 24 * 3_600_000;
/** Bound on queue rounds per deliverDue call, so one call never runs unbounded. */
const MAX_ROUNDS = 500;
/** Later alerts join a group's Slack thread only within a day of its first message. */
const THREAD_WINDOW_MS = 24 * 3_600_000;
/** With claims: at most this many claimed at once, so a slow node does not sit on work others could send. */
const CLAIM_BATCH = 10;

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
  /** Nodes sharing a PostgreSQL database: claim each delivery before sending it. */
  claims?: DeliveryClaims;
}

export interface DeliveryClaims {
  repo: ClusterRepo;
  nodeId: string;
  leaseMs: number;
  /**
   * When nothing is claimable but something will be within this long (a channel's spacing),
   * wait for it inside the run. One-shot commands do; the daemon does not (its timer wakes it,
   * and waiting here would hold back alerts for other channels).
   */
  inlineWaitMs?: number;
}

/** Where an attempt's outcome is recorded: the outbox directly, or under a claim's token. */
interface Marks {
  sent(at: string, ref: string | null): Promise<boolean>;
  retry(mark: RetryMark): Promise<boolean>;
  failed(at: string, error: string, settings: string | null): Promise<boolean>;
}

export class Deliverer {
  private readonly notifiers = new Map<string, Notifier>();
  private readonly lastSent = new Map<string, number>();
  private readonly spacingOverrideMs: number | undefined;
  private readonly claims: DeliveryClaims | undefined;

  constructor(
    private readonly store: Store,
    private config: Config,
    private readonly log: Logger,
    private readonly now: () => Date,
    options: DelivererOptions = {},
  ) {
    this.spacingOverrideMs = options.spacingMs;
    this.claims = options.claims;
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
    const released = await this.store.outbox.releaseHeld(this.now().toISOString());
    if (released > 0) this.log.info({ released }, 'quiet hours over: held alerts released');
    if (this.claims) return this.deliverClaimed(this.claims, signal);
    const result: DeliverResult = { sent: 0, retried: 0, failed: 0 };
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
        const outcome = await this.attempt(delivery, this.outboxMarks(delivery.id), signal);
        observeDelivery(delivery.notifier, outcome);
        this.lastSent.set(destination, this.now().getTime());
        result[outcome]++;
      }
    }
    return result;
  }

  /** Minimum spacing per notifier type, for the database to apply across nodes. */
  private spacing(): { spacingMs: Record<string, number>; defaultSpacingMs: number } {
    const spacingMs: Record<string, number> = {};
    for (const type of NOTIFIER_TYPES) spacingMs[type] = this.spacingOverrideMs ?? notifierPlugin(type)?.minIntervalMs ?? 0;
    return { spacingMs, defaultSpacingMs: this.spacingOverrideMs ?? 0 };
  }

  /** Cluster mode: claim the head of each free destination, send, record under the claim; repeat. */
  private async deliverClaimed(claims: DeliveryClaims, signal?: AbortSignal): Promise<DeliverResult> {
    const result: DeliverResult = { sent: 0, retried: 0, failed: 0 };
    const spacing = this.spacing();
    for (let round = 0; round < MAX_ROUNDS && !signal?.aborted; round++) {
      const claimed = await claims.repo.claimDeliveries({ nodeId: claims.nodeId, leaseMs: claims.leaseMs, ...spacing, limit: CLAIM_BATCH });
      // Nothing claimable now (spacing, retry times, other nodes' claims): the daemon's timer
      // (nextAttemptAt) wakes the next run; sleeping here would hold back alerts for other channels.
      if (claimed.length === 0) {
        const limit = claims.inlineWaitMs ?? 0;
        const next = limit > 0 ? await claims.repo.nextClaimAt(spacing) : null;
        const wait = next === null ? Infinity : Date.parse(next) - Date.now();
        if (wait > limit) break;
        await sleep(Math.max(wait, 10), signal);
        continue;
      }
      for (const delivery of claimed) {
        // Stopping: what is claimed and not sent is handed back when the node leaves the cluster.
        if (signal?.aborted) break;
        const outcome = await this.attemptClaimed(claims, delivery, signal);
        observeDelivery(delivery.notifier, outcome);
        result[outcome]++;
      }
    }
    return result;
  }

  private async attemptClaimed(claims: DeliveryClaims, delivery: ClaimedDelivery, signal?: AbortSignal): Promise<'sent' | 'retried' | 'failed'> {
    // A slow send keeps its claim: otherwise another node would take it over and send it again.
    const renew = setInterval(() => {
      claims.repo.renewClaim(delivery.id, delivery.token, claims.leaseMs).catch((err: unknown) => this.log.warn({ err, delivery: delivery.id }, 'could not renew a delivery claim'));
    }, Math.max(200, Math.floor(claims.leaseMs / 3)));
    try {
      return await this.attempt(delivery, this.claimMarks(claims, delivery), signal);
    } finally {
      clearInterval(renew);
    }
  }

  private outboxMarks(id: number): Marks {
    const outbox = this.store.outbox;
    return {
      sent: (at, ref) => outbox.markSent(id, at, ref).then(() => true),
      retry: (mark) => outbox.markRetry(id, mark).then(() => true),
      failed: (at, error, settings) => outbox.markFailed(id, at, error, settings).then(() => true),
    };
  }

  private claimMarks(claims: DeliveryClaims, d: ClaimedDelivery): Marks {
    const lost = (held: boolean): boolean => {
      if (!held) {
        this.log.warn(
          { delivery: d.id, notifier: d.notifier, target: d.target },
          'delivery claim lost: its lease ran out during the send and another node took it over; the message may go out twice',
        );
      }
      return held;
    };
    return {
      // The message is out: if the database went away meanwhile (a restart, a failover), keep
      // trying to record it while the claim could still be ours, instead of letting the claim
      // expire and another node send it again.
      sent: (at, ref) => this.untilReconnected(() => claims.repo.markSent(d.id, d.token, at, ref), claims.leaseMs, d).then(lost),
      retry: (mark) => claims.repo.markRetry(d.id, d.token, mark).then(lost),
      failed: (at, error, settings) => claims.repo.markFailed(d.id, d.token, at, error, settings).then(lost),
    };
  }

  /** Runs `mark`, again every 250 ms for up to `forMs` while it fails with a lost connection. */
  private async untilReconnected(mark: () => Promise<boolean>, forMs: number, d: ClaimedDelivery): Promise<boolean> {
    const deadline = Date.now() + forMs;
    for (let tries = 1; ; tries++) {
      try {
        const held = await mark();
        if (tries > 1) this.log.info({ delivery: d.id, tries }, 'delivery recorded after the database connection came back');
        return held;
      } catch (err) {
        if (!isConnectionLoss(err) || Date.now() >= deadline) throw err;
        if (tries === 1) this.log.warn({ delivery: d.id, error: (err as Error).message }, 'could not record a sent delivery: database connection lost; trying again');
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** When a delivery can next be attempted (retry time, spacing, another node's claim), for the daemon's timer. */
  async nextAttemptAt(): Promise<string | null> {
    if (!this.claims) return this.store.outbox.nextDeliveryAt();
    const [claimable, any] = await Promise.all([this.claims.repo.nextClaimAt(this.spacing()), this.store.outbox.nextDeliveryAt()]);
    // Held deliveries (quiet hours) are released by time: the outbox's earliest time covers them.
    if (any === null) return claimable;
    if (claimable === null) return Date.parse(any) > Date.now() ? any : null;
    return Date.parse(any) > Date.now() && any < claimable ? any : claimable;
  }

  private async attempt(delivery: DeliveryRow, marks: Marks, signal?: AbortSignal): Promise<'sent' | 'retried' | 'failed'> {
    const at = this.now();
    const alert = await this.store.outbox.getAlert(delivery.alertId);
    const content = alert ? await this.content(alert) : null;
    const log = this.log.child({ rule: content?.rule, brand: content?.brand, delivery: delivery.id, alert: delivery.alertId, notifier: delivery.notifier, target: delivery.target });
    const notifier = this.notifier(delivery.notifier);
    if (!alert || !content || !notifier) {
      await marks.failed(at.toISOString(), content ? `notifier ${delivery.notifier} is not available` : 'alert not found', this.settings(delivery.notifier));
      return 'failed';
    }
    // `${NAME}` targets are read from the environment only now: the outbox and logs keep the name.
    const target = resolveTarget(delivery.target, this.config.env);
    if (!target.ok) {
      await marks.failed(at.toISOString(), `${delivery.target}: ${missingReferencesHint(target.missing)}`, this.settings(delivery.notifier));
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
      await marks.sent(done, outcome.ref ?? null);
      log.info({ ref: outcome.ref }, 'alert delivered');
      return 'sent';
    }
    if (outcome.status === 'failed') {
      await marks.failed(done, outcome.error, this.settings(delivery.notifier));
      log.error({ error: outcome.error }, 'alert delivery failed; not retried');
      return 'failed';
    }
    const age = at.getTime() - Date.parse(content.createdAt);
    if (age > GIVE_UP_AFTER_MS) {
      await marks.failed(done, `gave up after 24 h of retries; last error: ${outcome.error}`, this.settings(delivery.notifier));
      log.error({ error: outcome.error }, 'alert delivery given up after 24 h');
      return 'failed';
    }
    const { kind, streak } = retryStreak(delivery, outcome.retryAfterMs);
    const delay = retryDelayMs(streak, outcome.retryAfterMs);
    await marks.retry({ at: done, nextAt: new Date(at.getTime() + delay).toISOString(), error: outcome.error, kind, streak });
    log.warn({ error: outcome.error, retryInMs: delay, attempt: delivery.attempts + 1, kind, streak }, 'alert delivery failed; will retry');
    return 'retried';
  }

  async close(): Promise<void> {
    const all = [...this.notifiers.values()];
    this.notifiers.clear();
    await Promise.all(all.map((n) => Promise.resolve(n.close?.()).catch(() => undefined)));
  }
}

