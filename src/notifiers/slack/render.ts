/**
 * Renders an alert as a Slack Block Kit message. Pure: same alert in, same payload out.
 *
 * Safety: mention content (title, text, author, reasons) comes from strangers on the internet.
 * It only ever goes into `plain_text` text objects with `emoji: false`, which Slack shows
 * literally: no `<!channel>` ping, no `<@U…>` mention, no `<url|label>` link, no *bold*. The
 * only `mrkdwn` objects hold a link we build from a validated http(s) URL with a fixed label
 * and, with triage on, the who-did-what lines of `triage-blocks.ts` (a Slack user's handle or
 * an earshot user's name, escaped, and a date token); the fallback `text` is escaped with
 * `escapeMrkdwn` (and sent with `mrkdwn: false`).
 */
import type { Mention } from '../../core/types.js';
import type { AlertContent } from '../types.js';
import { escapeMrkdwn } from './mrkdwn.js';
import { formatAuthor, formatScore, sourceDisplay, formatUtc, mentionBody, oneLine, safeHttpUrl, truncate } from '../format.js';
import { triageBlocks, type SlackTriageView } from './triage-blocks.js';

export { escapeMrkdwn };

export interface SlackMessage {
  /** Plain fallback for notifications and screen readers (escaped for Slack). */
  text: string;
  blocks: unknown[];
}

export interface SlackRenderOptions {
  /**
   * Mention alerts carry "Handled" / "Not relevant" buttons and a sentiment menu under each
   * mention (when SLACK_SIGNING_SECRET or SLACK_APP_TOKEN lets earshot receive the clicks).
   */
  interactive?: boolean;
  /** Each mention's triage state by mention id, for the who-did-what lines (also without controls); absent = open. */
  triage?: ReadonlyMap<number, SlackTriageView>;
}

/** Mentions shown in one message; the rest are counted in an "…and N more" line. */
export const SLACK_MAX_MENTIONS = 5;
/** Characters of mention text shown per mention. */
export const SLACK_TEXT_LIMIT = 500;

const HEADER_LIMIT = 150;
const SECTION_LIMIT = 3000;
const FIELD_LIMIT = 2000;
/** A URL for a mrkdwn `<url|label>` link: `&` escaped, and the characters that would end the link encoded. */
function mrkdwnUrl(href: string): string {
  return href.replace(/&/g, '&amp;').replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E');
}

function plain(text: string, limit = SECTION_LIMIT): { type: 'plain_text'; text: string; emoji: false } {
  // Slack rejects empty text objects.
  const value = truncate(text, limit);
  return { type: 'plain_text', text: value.length > 0 ? value : ' ', emoji: false };
}

function mentionBlocks(mention: Mention, alert: AlertContent, options: SlackRenderOptions): unknown[] {
  const blocks: unknown[] = [{ type: 'divider' }];
  const { title, text } = mentionBody(mention, SLACK_TEXT_LIMIT);
  const body = [title, text].filter((part) => part.length > 0).join('\n');
  blocks.push({ type: 'section', text: plain(body || '(no text)') });

  const brand = mention.brand === alert.brand ? alert.brandName : mention.brand;
  const source = mention.kind ? `${mention.source} ${oneLine(mention.kind)}` : mention.source;
  const { sentiment, urgency } = mention;
  blocks.push({
    type: 'section',
    fields: [
      plain(`Brand: ${oneLine(brand)}`, FIELD_LIMIT),
      plain(`Source: ${source}`, FIELD_LIMIT),
      plain(`Author: ${oneLine(formatAuthor(mention, sourceDisplay(alert, mention.source).reachUnit))}`, FIELD_LIMIT),
      plain(`Published: ${formatUtc(mention.publishedAt)}`, FIELD_LIMIT),
      plain(`Sentiment: ${formatScore(sentiment.label, sentiment.score, sentiment.reasons)}`, FIELD_LIMIT),
      plain(`Urgency: ${formatScore(urgency.level, urgency.score, urgency.reasons, 3, false)}`, FIELD_LIMIT),
    ],
  });

  const href = safeHttpUrl(mention.url);
  if (href) {
    blocks.push({
      type: 'section',
      // verbatim: Slack must not auto-link or parse anything else in this field.
      text: { type: 'mrkdwn', text: `<${mrkdwnUrl(href)}|Open on ${mention.source}>`, verbatim: true },
    });
  }
  // Only mention alerts: a volume or spike alert's examples are not what the team triages from it.
  if (alert.ruleType === 'mention' && (options.interactive || options.triage)) {
    blocks.push(...triageBlocks(alert.alertId, mention, options.triage?.get(mention.id), options.interactive === true));
  }
  return blocks;
}

export function renderSlackMessage(alert: AlertContent, options: SlackRenderOptions = {}): SlackMessage {
  const summary = oneLine(alert.summary) || `Alert from rule ${alert.rule}`;
  const blocks: unknown[] = [{ type: 'header', text: plain(summary, HEADER_LIMIT) }];

  const details = alert.details.map(oneLine).filter((line) => line.length > 0);
  if (details.length > 0) blocks.push({ type: 'section', text: plain(details.join('\n')) });

  const shown = alert.mentions.slice(0, SLACK_MAX_MENTIONS);
  for (const mention of shown) blocks.push(...mentionBlocks(mention, alert, options));

  // With no mention listed (a spike alert), the details carry the figures; "…and 64 more" would read oddly.
  const more = shown.length > 0 ? Math.max(alert.totalMentions, alert.mentions.length) - shown.length : 0;
  if (more > 0) {
    blocks.push({ type: 'context', elements: [plain(`…and ${more} more mention${more === 1 ? '' : 's'}`)] });
  }
  blocks.push({ type: 'context', elements: [plain(`rule: ${oneLine(alert.rule)} · earshot`)] });

  return { text: escapeMrkdwn(`${summary} (rule: ${oneLine(alert.rule)})`), blocks };
}
