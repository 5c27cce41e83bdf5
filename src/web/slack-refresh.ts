/**
 * Keeps alert messages in Slack in step with triage: after a click in Slack or an action in the
 * web UI, each Slack message that lists the mention is re-rendered from the current state (the
 * same rendering as the first delivery, plus who did what) and sent with chat.update.
 *
 * Per message (channel + ts) at most one update is in flight; requests that arrive meanwhile
 * collapse into one more update, rendered when it starts. So updates cannot overtake each other
 * with an older state, and a burst of actions costs one or two calls, not one per action.
 * A 429 waits out Retry-After and a transient failure backs off (1 s, 2 s, 4 s), re-rendering
 * before each try; a final error (message deleted, token changed) is logged and dropped: the
 * mention's state is in earshot either way, the Slack message is only a view of it.
 */
import type { Logger } from '../core/log.js';
import { decodeMessageRef } from '../notifiers/slack/message-ref.js';
import { renderSlackMessage, type SlackMessage } from '../notifiers/slack/render.js';
import type { SlackActorView, SlackTriageView } from '../notifiers/slack/triage-blocks.js';
import type { SlackMessageUpdater } from '../notifiers/slack/update.js';
import { shownMentionIds, toAlertContent, type AlertRecord } from '../pipeline/alert-content.js';
import type { Actor, TriagedMention, TriageEvent, TriageStore } from '../store/triage-types.js';
import { sleep } from '../core/sleep.js';

export interface SlackMessageTarget {
  alertId: number;
  channel: string;
  ts: string;
}

export interface SlackRefresherOptions {
  triage: TriageStore;
  getAlert(id: number): Promise<AlertRecord | null>;
  /** The brand's display name in the current config. */
  brandName(brand: string): string;
  updater: SlackMessageUpdater;
  /** Render the buttons (Slack interactivity is on), or only the who-did-what lines. */
  interactive: boolean;
  log: Logger;
  /** Tries per update; default 4. */
  maxAttempts?: number;
  /** First back-off after a transient failure; default 1 s (doubles). */
  retryDelayMs?: number;
  /** Longest wait for a Retry-After; default 60 s (longer: give up, the next action refreshes). */
  maxRetryAfterMs?: number;
  /** Told the outcome of each chat.update attempt (for a metric). */
  onOutcome?(outcome: 'sent' | 'retried' | 'failed'): void;
}

export interface SlackRefresher {
  /** Updates one message soon (coalesced with other requests for it). */
  refresh(target: SlackMessageTarget): void;
  /** The Slack messages (sent deliveries with a channel id) of every alert listing the mention. */
  messagesOf(mentionId: number): Promise<SlackMessageTarget[]>;
  /** Updates every Slack message that lists the mention. */
  refreshMention(mentionId: number): Promise<void>;
  /** The message as it would be sent now, or null when the alert is gone. */
  render(alertId: number): Promise<SlackMessage | null>;
  /** Resolves when no update is pending or running. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

function actorView(actor: Actor): SlackActorView {
  return { kind: actor.kind, name: actor.name };
}

function lastWhere(events: TriageEvent[], test: (event: TriageEvent) => boolean): TriageEvent | null {
  for (let i = events.length - 1; i >= 0; i -= 1) if (test(events[i]!)) return events[i]!;
  return null;
}

/** What a message shows of a mention's triage: its status, who set it (the last event that changed the status) and the last sentiment correction. */
export function triageView(mention: TriagedMention, events: TriageEvent[]): SlackTriageView {
  const statusEvent = lastWhere(events, (e) => e.after?.status !== undefined);
  const sentimentEvent = mention.sentimentCorrectedFrom !== null ? lastWhere(events, (e) => e.after?.sentiment !== undefined) : null;
  return {
    status: mention.status,
    statusBy: statusEvent ? actorView(statusEvent.actor) : null,
    statusAt: statusEvent ? statusEvent.at : null,
    snoozedUntil: mention.snoozedUntil,
    sentimentBy: sentimentEvent ? actorView(sentimentEvent.actor) : null,
    sentimentAt: sentimentEvent ? sentimentEvent.at : null,
  };
}

interface Entry {
  target: SlackMessageTarget;
  dirty: boolean;
  done: Promise<void>;
}

export function createSlackRefresher(options: SlackRefresherOptions): SlackRefresher {
  const log = options.log.child({ component: 'slack-refresh' });
  const maxAttempts = options.maxAttempts ?? 4;
  const firstDelay = options.retryDelayMs ?? 1_000;
  const maxRetryAfter = options.maxRetryAfterMs ?? 60_000;
  const entries = new Map<string, Entry>();
  const closing = new AbortController();

  async function render(alertId: number): Promise<SlackMessage | null> {
    const alert = await options.getAlert(alertId);
    if (!alert) return null;
    const mentions = await options.triage.getMentions(shownMentionIds(alert));
    const views = new Map<number, SlackTriageView>();
    for (const mention of mentions) views.set(mention.id, triageView(mention, await options.triage.listEvents(mention.id)));
    const content = toAlertContent(alert, mentions, options.brandName(alert.brand));
    return renderSlackMessage(content, { interactive: options.interactive, triage: views });
  }

  async function updateOnce(target: SlackMessageTarget): Promise<void> {
    const where = { alert: target.alertId, channel: target.channel, ts: target.ts };
    let delay = firstDelay;
    for (let attempt = 1; attempt <= maxAttempts && !closing.signal.aborted; attempt += 1) {
      const message = await render(target.alertId);
      if (!message) {
        log.warn(where, 'slack message not updated: its alert is no longer stored (retention)');
        return;
      }
      const outcome = await options.updater.update(target.channel, target.ts, message);
      options.onOutcome?.(outcome.status === 'retry' ? 'retried' : outcome.status);
      if (outcome.status === 'sent') {
        log.debug(where, 'slack message updated');
        return;
      }
      if (outcome.status === 'failed') {
        log.warn({ ...where, error: outcome.error }, 'slack message not updated');
        return;
      }
      const wait = outcome.retryAfterMs ?? delay;
      if (wait > maxRetryAfter || attempt === maxAttempts) {
        log.warn({ ...where, error: outcome.error, attempts: attempt }, 'slack message not updated; giving up until the next action');
        return;
      }
      log.info({ ...where, error: outcome.error, retryInMs: wait }, 'slack message update failed; will retry');
      await sleep(wait, closing.signal);
      delay *= 2;
    }
  }

  async function run(key: string, entry: Entry): Promise<void> {
    // Let the current task finish first: a click's own refresh and its change event's arrive together.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (entry.dirty && !closing.signal.aborted) {
        entry.dirty = false;
        await updateOnce(entry.target);
      }
    } catch (err) {
      log.error({ err, alert: entry.target.alertId }, 'slack message update failed unexpectedly');
    } finally {
      entries.delete(key);
    }
  }

  function refresh(target: SlackMessageTarget): void {
    if (closing.signal.aborted) return;
    const key = `${target.channel}:${target.ts}`;
    const existing = entries.get(key);
    if (existing) {
      existing.dirty = true;
      return;
    }
    const entry: Entry = { target, dirty: true, done: Promise.resolve() };
    entries.set(key, entry);
    entry.done = run(key, entry);
  }

  async function messagesOf(mentionId: number): Promise<SlackMessageTarget[]> {
    const targets: SlackMessageTarget[] = [];
    for (const alert of await options.triage.alertsForMention(mentionId)) {
      for (const delivery of alert.deliveries) {
        if (delivery.notifier !== 'slack' || delivery.status !== 'sent' || !delivery.ref) continue;
        const ref = decodeMessageRef(delivery.ref);
        // A ref from before channel ids were stored cannot be updated (chat.update needs the id).
        if (ref?.channel) targets.push({ alertId: alert.alertId, channel: ref.channel, ts: ref.ts });
      }
    }
    return targets;
  }

  return {
    refresh,
    messagesOf,
    async refreshMention(mentionId) {
      for (const target of await messagesOf(mentionId)) refresh(target);
    },
    render,
    async idle() {
      while (entries.size > 0) await Promise.all([...entries.values()].map((e) => e.done));
    },
    async close() {
      closing.abort();
      await Promise.all([...entries.values()].map((e) => e.done));
      await options.updater.close();
    },
  };
}

