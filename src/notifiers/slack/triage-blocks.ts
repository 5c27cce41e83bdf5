/**
 * The triage part of a mention alert in Slack: under each mention, a line saying who did what
 * (once someone did something) and the controls:
 *   open:              [Handled] [Not relevant] [Sentiment ▾]
 *   handled, ignored,
 *   snoozed:           ✓ Handled by @maria at 10:42          [Reopen] [Sentiment ▾]
 * The ids the controls carry are described in `interaction.ts`.
 *
 * Safety: the names shown come from Slack (a user's handle) or from earshot's own users, never
 * from a mention; they are still escaped with `escapeMrkdwn` (no `<!channel>`, no link, no
 * formatting survives) in a `verbatim` mrkdwn element. mrkdwn is used only for Slack's date
 * token `<!date^…^{time}|10:42 UTC>`, which shows each reader the time in their own time zone
 * (the fallback after `|` is UTC).
 */
import type { Mention } from '../../core/types.js';
import { oneLine, truncate, withoutControls } from '../format.js';
import { sentimentOptionValue, SLACK_ACTION_IDS, triageBlockId, type SlackSentimentChoice } from './interaction.js';
import { escapeMrkdwn } from './mrkdwn.js';

export type SlackTriageStatus = 'open' | 'handled' | 'irrelevant' | 'snoozed';

export interface SlackActorView {
  /** 'slack' for a Slack user (shown as @name); 'system' for earshot itself; 'ui', 'api' for earshot's users. */
  kind: string;
  name: string;
}

/** What a message shows about one mention's triage state. */
export interface SlackTriageView {
  status: SlackTriageStatus;
  /** Who set the current status and when; null when nobody has touched the mention. */
  statusBy: SlackActorView | null;
  statusAt: string | null;
  /** For `snoozed`: until when (ISO UTC). */
  snoozedUntil: string | null;
  /** The latest sentiment correction, if any. */
  sentimentBy: SlackActorView | null;
  sentimentAt: string | null;
}

const SENTIMENT_CHOICES: Array<{ label: SlackSentimentChoice; text: string }> = [
  { label: 'negative', text: 'Negative' },
  { label: 'neutral', text: 'Neutral' },
  { label: 'positive', text: 'Positive' },
];

const NAME_LIMIT = 80;

function plain(text: string): { type: 'plain_text'; text: string; emoji: false } {
  return { type: 'plain_text', text, emoji: false };
}

/**
 * '@maria' for a Slack user, 'earshot' for earshot itself (a snooze ending), 'Jo (earshot)' for a
 * web UI user, 'the earshot API' for an API token holder (the API has no names of its own).
 */
export function formatActor(actor: SlackActorView): string {
  const name = truncate(oneLine(withoutControls(actor.name)), NAME_LIMIT) || 'someone';
  if (actor.kind === 'slack') return escapeMrkdwn(`@${name.replace(/^@+/, '')}`);
  if (actor.kind === 'system') return escapeMrkdwn(name);
  if (actor.kind === 'api') return name === 'api' ? 'the earshot API' : escapeMrkdwn(`${name} (earshot API)`);
  return escapeMrkdwn(`${name} (earshot)`);
}

function hhmm(date: Date): string {
  return `${date.toISOString().slice(11, 16)} UTC`;
}

/** Slack's date token: the reader's local time, with a UTC fallback for clients that cannot. */
export function slackTime(iso: string, withDate = false): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return escapeMrkdwn(iso);
  const seconds = Math.floor(date.getTime() / 1000);
  if (withDate) return `<!date^${seconds}^{date_short_pretty} {time}|${date.toISOString().slice(0, 10)} ${hhmm(date)}>`;
  return `<!date^${seconds}^{time}|${hhmm(date)}>`;
}

function statusLine(view: SlackTriageView): string | null {
  if (!view.statusBy || !view.statusAt) return null;
  const by = formatActor(view.statusBy);
  const at = slackTime(view.statusAt);
  switch (view.status) {
    case 'handled':
      return `✓ Handled by ${by} at ${at}`;
    case 'irrelevant':
      return `✗ Marked not relevant by ${by} at ${at}`;
    case 'snoozed':
      return view.snoozedUntil ? `⏸ Snoozed until ${slackTime(view.snoozedUntil, true)} by ${by}` : `⏸ Snoozed by ${by} at ${at}`;
    case 'open':
      return `↺ Reopened by ${by} at ${at}`;
  }
}

function sentimentLine(view: SlackTriageView, mention: Mention): string | null {
  if (!view.sentimentBy || !view.sentimentAt) return null;
  return `Sentiment set to ${escapeMrkdwn(mention.sentiment.label)} by ${formatActor(view.sentimentBy)} at ${slackTime(view.sentimentAt)}`;
}

function sentimentMenu(mention: Mention): Record<string, unknown> {
  const options = SENTIMENT_CHOICES.map((choice) => ({ text: plain(choice.text), value: sentimentOptionValue(mention.id, choice.label) }));
  const current = options.find((_, i) => SENTIMENT_CHOICES[i]!.label === mention.sentiment.label);
  return {
    type: 'static_select',
    action_id: SLACK_ACTION_IDS.sentiment,
    placeholder: plain('Sentiment'),
    options,
    ...(current ? { initial_option: current } : {}),
  };
}

function button(text: string, actionId: string, mentionId: number, style?: 'primary' | 'danger'): Record<string, unknown> {
  return { type: 'button', action_id: actionId, text: plain(text), value: String(mentionId), ...(style ? { style } : {}) };
}

/**
 * The blocks under one mention: its who-did-what line (if any) and, with `controls`, the buttons
 * and menu (without them, a message updated after an action in the web UI still says who did what).
 */
export function triageBlocks(alertId: number, mention: Mention, view: SlackTriageView | undefined, controls = true): unknown[] {
  const blocks: unknown[] = [];
  const lines = view ? [statusLine(view), sentimentLine(view, mention)].filter((line): line is string => line !== null) : [];
  if (lines.length > 0) {
    blocks.push({ type: 'context', elements: lines.map((text) => ({ type: 'mrkdwn', text, verbatim: true })) });
  }
  if (!controls) return blocks;
  const open = !view || view.status === 'open';
  const buttons = open
    ? [button('Handled', SLACK_ACTION_IDS.handle, mention.id, 'primary'), button('Not relevant', SLACK_ACTION_IDS.irrelevant, mention.id)]
    : [button('Reopen', SLACK_ACTION_IDS.reopen, mention.id)];
  blocks.push({ type: 'actions', block_id: triageBlockId(alertId, mention.id), elements: [...buttons, sentimentMenu(mention)] });
  return blocks;
}
