/**
 * Renders an alert as an email: a subject, a plain-text part that reads well on its own, and an
 * HTML part with inline CSS (mail clients drop <style> blocks and external sheets).
 *
 * Safety: every piece of mention content is HTML-escaped before it reaches the HTML part, so a
 * `<script>` or `"><a href=javascript:` in a post shows literally; only http(s) URLs become
 * links. The subject has CR/LF and other control characters removed, so no mention title or
 * summary can smuggle in a header line.
 */
import type { Mention } from '../../core/types.js';
import type { AlertContent } from '../types.js';
import { formatAuthor, formatScore, sourceDisplay, formatUtc, mentionBody, oneLine, safeHttpUrl, truncate } from '../format.js';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** Mentions listed in one email; the rest are counted. */
export const EMAIL_MAX_MENTIONS = 10;
/** Characters of mention text shown per mention. */
export const EMAIL_TEXT_LIMIT = 1000;
/** Subject length cap (RFC 5322 recommends lines under 78; clients show ~100). */
export const SUBJECT_LIMIT = 150;

/** Escapes the five characters that matter in HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A header-safe single line: control characters (CR, LF, TAB, NUL, DEL, C1, line separators) become spaces. */
export function sanitizeHeaderText(text: string, max = SUBJECT_LIMIT): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return truncate(cleaned, max);
}

export function renderAlertSubject(alert: AlertContent): string {
  const summary = oneLine(alert.summary) || `Alert for ${alert.brandName}`;
  return sanitizeHeaderText(`[earshot] ${summary} (${alert.rule})`);
}

interface MentionView {
  brand: string;
  source: string;
  author: string;
  published: string;
  title: string;
  text: string;
  link: string | null;
  sentiment: string;
  urgency: string;
}

function viewOf(mention: Mention, alert: AlertContent): MentionView {
  const { title, text } = mentionBody(mention, EMAIL_TEXT_LIMIT);
  return {
    brand: oneLine(mention.brand === alert.brand ? alert.brandName : mention.brand),
    source: mention.kind ? `${mention.source} ${oneLine(mention.kind)}` : mention.source,
    author: oneLine(formatAuthor(mention, sourceDisplay(alert, mention.source).reachUnit)),
    published: formatUtc(mention.publishedAt),
    title,
    text,
    link: safeHttpUrl(mention.url),
    sentiment: formatScore(mention.sentiment.label, mention.sentiment.score, mention.sentiment.reasons),
    urgency: formatScore(mention.urgency.level, mention.urgency.score, mention.urgency.reasons, 3, false),
  };
}

function moreCount(alert: AlertContent, shown: number): number {
  // With no mention listed (a spike alert), the details carry the figures.
  return shown > 0 ? Math.max(alert.totalMentions, alert.mentions.length) - shown : 0;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

function renderText(alert: AlertContent, views: MentionView[]): string {
  const lines: string[] = [oneLine(alert.summary), `Rule: ${alert.rule} (${alert.ruleType})`, ''];
  const details = alert.details.map(oneLine).filter(Boolean);
  if (details.length > 0) lines.push(...details, '');
  views.forEach((view, index) => {
    lines.push(`${index + 1}. ${view.brand} on ${view.source}, by ${view.author}`);
    lines.push(`   Published: ${view.published}`);
    if (view.title) lines.push(`   ${view.title}`);
    if (view.text) lines.push(indent(view.text, '   '));
    if (view.link) lines.push(`   Link: ${view.link}`);
    lines.push(`   Sentiment: ${view.sentiment}`);
    lines.push(`   Urgency: ${view.urgency}`);
    lines.push('');
  });
  const more = moreCount(alert, views.length);
  if (more > 0) lines.push(`…and ${more} more mention${more === 1 ? '' : 's'}`, '');
  lines.push('-- ', `earshot · rule: ${alert.rule}`);
  return `${lines.join('\n')}\n`;
}

const STYLE = {
  body: 'margin:0;padding:16px;background:#f6f7f9;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1d1c1d;',
  card: 'max-width:640px;margin:0 auto;background:#ffffff;border:1px solid #e1e4e8;border-radius:6px;padding:20px;',
  h1: 'margin:0 0 4px 0;font-size:18px;line-height:1.3;',
  rule: 'margin:0 0 16px 0;font-size:13px;color:#616061;',
  details: 'margin:0 0 16px 0;padding:0;font-size:14px;color:#1d1c1d;',
  mention: 'border-top:1px solid #e1e4e8;padding:14px 0 4px 0;',
  meta: 'margin:0 0 8px 0;font-size:13px;color:#616061;',
  title: 'margin:0 0 6px 0;font-size:15px;font-weight:bold;',
  text: 'margin:0 0 8px 0;font-size:14px;line-height:1.45;white-space:pre-wrap;',
  scores: 'margin:0 0 8px 0;font-size:13px;',
  link: 'color:#1264a3;',
  footer: 'margin:16px 0 0 0;font-size:12px;color:#8a8a8a;',
} as const;

function renderMentionHtml(view: MentionView): string {
  const parts = [
    `<div style="${STYLE.mention}">`,
    `<p style="${STYLE.meta}">${escapeHtml(view.brand)} on ${escapeHtml(view.source)} · by ${escapeHtml(view.author)} · ${escapeHtml(view.published)}</p>`,
  ];
  if (view.title) parts.push(`<p style="${STYLE.title}">${escapeHtml(view.title)}</p>`);
  if (view.text) parts.push(`<p style="${STYLE.text}">${escapeHtml(view.text)}</p>`);
  parts.push(
    `<p style="${STYLE.scores}"><b>Sentiment:</b> ${escapeHtml(view.sentiment)}<br><b>Urgency:</b> ${escapeHtml(view.urgency)}</p>`,
  );
  if (view.link) {
    parts.push(`<p style="${STYLE.scores}"><a style="${STYLE.link}" href="${escapeHtml(view.link)}">Open the mention</a></p>`);
  }
  parts.push('</div>');
  return parts.join('\n');
}

function renderHtml(alert: AlertContent, views: MentionView[]): string {
  const details = alert.details.map(oneLine).filter(Boolean);
  const more = moreCount(alert, views.length);
  const parts = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${escapeHtml(oneLine(alert.summary))}</title></head>`,
    `<body style="${STYLE.body}">`,
    `<div style="${STYLE.card}">`,
    `<h1 style="${STYLE.h1}">${escapeHtml(oneLine(alert.summary))}</h1>`,
    `<p style="${STYLE.rule}">Rule: ${escapeHtml(alert.rule)} (${escapeHtml(alert.ruleType)})</p>`,
  ];
  if (details.length > 0) {
    parts.push(`<p style="${STYLE.details}">${details.map(escapeHtml).join('<br>')}</p>`);
  }
  for (const view of views) parts.push(renderMentionHtml(view));
  if (more > 0) parts.push(`<p style="${STYLE.meta}">…and ${more} more mention${more === 1 ? '' : 's'}</p>`);
  parts.push(`<p style="${STYLE.footer}">earshot · rule: ${escapeHtml(alert.rule)}</p>`, '</div>', '</body></html>');
  return `${parts.join('\n')}\n`;
}

export function renderAlertEmail(alert: AlertContent): RenderedEmail {
  const views = alert.mentions.slice(0, EMAIL_MAX_MENTIONS).map((mention) => viewOf(mention, alert));
  return { subject: renderAlertSubject(alert), text: renderText(alert, views), html: renderHtml(alert, views) };
}
