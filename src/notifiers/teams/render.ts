/**
 * Renders an alert as a Teams message carrying one Adaptive Card (version 1.4, full width), the
 * body both Workflows ("When a Teams webhook request is received") and the older incoming
 * webhooks accept. Pure: same alert in, same payload out.
 *
 * Safety: TextBlock and FactSet text is Markdown in Teams, so nothing from a mention goes there.
 * Mention content (title, text, author, reasons) only goes into TextRun elements of
 * RichTextBlocks, which Teams shows literally: `**bold**`, `[label](url)`, `<at>` tags and HTML
 * stay text. Links are Action.OpenUrl buttons built from validated http(s) URLs.
 */
import type { Mention } from '../../core/types.js';
import { formatAuthor, formatScore, formatUtc, mentionBody, oneLine, safeHttpUrl, sourceDisplay, truncate } from '../format.js';
import type { AlertContent } from '../types.js';

export const TEAMS_MAX_MENTIONS = 5;
export const TEAMS_TEXT_LIMIT = 1000;

interface TextRun {
  type: 'TextRun';
  text: string;
  weight?: 'Bolder';
  size?: 'Medium';
  isSubtle?: boolean;
}

type Element = Record<string, unknown>;

export interface TeamsMessage {
  type: 'message';
  attachments: Array<{ contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: Element }>;
}

function run(text: string, style: Omit<TextRun, 'type' | 'text'> = {}): TextRun {
  return { type: 'TextRun', text, ...style };
}

/** A paragraph of literal text (RichTextBlock: no Markdown). */
function paragraph(inlines: TextRun[], extra: Element = {}): Element {
  return { type: 'RichTextBlock', inlines, ...extra };
}

/** 'Sentiment: negative (-0.72): outage, refund' with the name in bold, the value literal. */
function fact(name: string, value: string): Element {
  return paragraph([run(`${name}: `, { weight: 'Bolder' }), run(oneLine(value))], { spacing: 'None' });
}

function mentionContainer(mention: Mention, alert: AlertContent): Element {
  const source = sourceDisplay(alert, mention.source);
  const { title, text } = mentionBody(mention, TEAMS_TEXT_LIMIT);
  const items: Element[] = [];
  if (title) items.push(paragraph([run(title, { weight: 'Bolder' })]));
  if (text) items.push(paragraph([run(text)]));
  if (!title && !text) items.push(paragraph([run('(no text)', { isSubtle: true })]));
  items.push(
    fact('Author', formatAuthor(mention, source.reachUnit)),
    fact('Source', mention.kind ? `${source.label} ${mention.kind}` : source.label),
    fact('Published', formatUtc(mention.publishedAt)),
    fact('Sentiment', formatScore(mention.sentiment.label, mention.sentiment.score, mention.sentiment.reasons)),
    fact('Urgency', formatScore(mention.urgency.level, mention.urgency.score, mention.urgency.reasons, 3, false)),
  );
  const href = safeHttpUrl(mention.url);
  if (href) items.push({ type: 'ActionSet', actions: [{ type: 'Action.OpenUrl', title: `Open on ${source.label}`, url: href }] });
  return { type: 'Container', separator: true, spacing: 'Medium', items };
}

export function renderTeamsMessage(alert: AlertContent): TeamsMessage {
  const summary = oneLine(alert.summary) || `Alert from rule ${alert.rule}`;
  const body: Element[] = [paragraph([run(truncate(summary, 300), { weight: 'Bolder', size: 'Medium' })])];
  const details = alert.details.map(oneLine).filter((line) => line.length > 0);
  for (const line of details) body.push(paragraph([run(line)], { spacing: 'None' }));

  const shown = alert.mentions.slice(0, TEAMS_MAX_MENTIONS);
  for (const mention of shown) body.push(mentionContainer(mention, alert));
  const more = shown.length > 0 ? Math.max(alert.totalMentions, alert.mentions.length) - shown.length : 0;
  if (more > 0) body.push(paragraph([run(`…and ${more} more mention${more === 1 ? '' : 's'}`, { isSubtle: true })]));
  body.push(paragraph([run(`rule: ${oneLine(alert.rule)} · earshot`, { isSubtle: true })], { separator: true }));

  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body,
        },
      },
    ],
  };
}
