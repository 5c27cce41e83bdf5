/**
 * Renders an alert as a Discord execute-webhook body: a one-line `content` and one embed per
 * mention (the first five). Pure: same alert in, same payload out.
 *
 * Safety: mention content comes from strangers. `allowed_mentions: { parse: [] }` tells Discord
 * to ping no one whatever the text says; on top of that, every piece of mention text is escaped
 * (`escapeDiscord`) so `@everyone`, `<@123>`, `<#chan>`, `[label](url)`, `**bold**`, `# heading`
 * or `> quote` in a post show literally instead of formatting, linking or looking like a ping.
 * Links are only the embed `url`, built from a validated http(s) URL.
 *
 * Limits (Discord rejects the message otherwise): content 2000, embed title 256, description
 * 4096, field value 1024, footer 2048, all embeds together 6000 characters, 10 embeds.
 */
import type { Mention } from '../../core/types.js';
import { formatAuthor, formatScore, mentionBody, oneLine, safeHttpUrl, sourceDisplay, truncate, withoutControls } from '../format.js';
import type { AlertContent } from '../types.js';

/** Mentions shown as embeds; the rest are counted in the content line. */
export const DISCORD_MAX_MENTIONS = 5;
const CONTENT_LIMIT = 2000;
const TITLE_LIMIT = 200;
const FIELD_LIMIT = 150;
const TOTAL_EMBED_LIMIT = 6000;
/** Room kept per embed for title, fields and footer when sharing out the 6000 characters. */
const EMBED_OVERHEAD = 200 + 4 * (12 + FIELD_LIMIT) + 80;
const DESCRIPTION_MAX = 4096;

const COLORS: Record<string, number> = { negative: 0xd93f0b, neutral: 0x9aa0a6, positive: 0x2eb67d, unknown: 0x9aa0a6 };
const ZWSP = '\u200B';

export interface DiscordEmbed {
  title: string;
  url?: string;
  description?: string;
  color: number;
  fields: Array<{ name: string; value: string; inline: boolean }>;
  footer: { text: string };
  timestamp?: string;
}

export interface DiscordMessage {
  content: string;
  embeds: DiscordEmbed[];
  allowed_mentions: { parse: [] };
}

/**
 * Text shown literally in Discord: control characters dropped, every markdown character
 * backslash-escaped (Discord shows `\*` as `*`), and `@everyone` / `@here` broken with a
 * zero-width space so they do not even look like a ping.
 */
export function escapeDiscord(text: string): string {
  return withoutControls(text)
    .replace(/[\\*_~`|>#\-[\]()<:]/g, (ch) => `\\${ch}`)
    .replace(/^(\s*\d+)\./gm, '$1\\.')
    .replace(/@(everyone|here)/gi, `@${ZWSP}$1`);
}

/** Escaped text within `limit` characters: cut before escaping, so no escape is cut in half. */
export function fitDiscord(text: string, limit: number): string {
  let raw = truncate(text, limit);
  let escaped = escapeDiscord(raw);
  while (Array.from(escaped).length > limit && raw.length > 0) {
    const over = Array.from(escaped).length - limit;
    raw = truncate(text, Math.max(1, Array.from(raw).length - over - 1));
    escaped = escapeDiscord(raw);
  }
  return escaped;
}

function field(name: string, value: string): DiscordEmbed['fields'][number] {
  return { name, value: fitDiscord(oneLine(value), FIELD_LIMIT) || '-', inline: true };
}

function mentionEmbed(mention: Mention, alert: AlertContent, descriptionLimit: number): DiscordEmbed {
  const source = sourceDisplay(alert, mention.source);
  const { title, text } = mentionBody(mention, descriptionLimit);
  const heading = title || `${oneLine(formatAuthor(mention, source.reachUnit))} on ${source.label}`;
  const href = safeHttpUrl(mention.url);
  const published = Date.parse(mention.publishedAt);
  return {
    title: fitDiscord(heading, TITLE_LIMIT),
    ...(href ? { url: href } : {}),
    ...(text ? { description: fitDiscord(text, descriptionLimit) } : {}),
    color: COLORS[mention.sentiment.label] ?? COLORS.neutral!,
    fields: [
      field('Author', formatAuthor(mention, source.reachUnit)),
      field('Source', mention.kind ? `${source.label} ${mention.kind}` : source.label),
      field('Sentiment', formatScore(mention.sentiment.label, mention.sentiment.score, mention.sentiment.reasons)),
      field('Urgency', formatScore(mention.urgency.level, mention.urgency.score, mention.urgency.reasons, 3, false)),
    ],
    footer: { text: truncate(`rule: ${oneLine(alert.rule)} · earshot`, 100) },
    ...(Number.isNaN(published) ? {} : { timestamp: new Date(published).toISOString() }),
  };
}

/** An alert about counts (volume, spike, silence) has no mention to show: its details are the embed. */
function detailsEmbed(alert: AlertContent, details: string[]): DiscordEmbed {
  return {
    title: fitDiscord(oneLine(alert.summary), TITLE_LIMIT) || 'earshot alert',
    description: fitDiscord(details.join('\n'), DESCRIPTION_MAX),
    color: COLORS.neutral!,
    fields: [],
    footer: { text: truncate(`rule: ${oneLine(alert.rule)} · earshot`, 100) },
    timestamp: alert.createdAt,
  };
}

export function renderDiscordMessage(alert: AlertContent): DiscordMessage {
  const summary = oneLine(alert.summary) || `Alert from rule ${alert.rule}`;
  const details = alert.details.map(oneLine).filter((line) => line.length > 0);
  const shown = alert.mentions.slice(0, DISCORD_MAX_MENTIONS);
  const more = shown.length > 0 ? Math.max(alert.totalMentions, alert.mentions.length) - shown.length : 0;

  const lines = [`**${fitDiscord(summary, 300)}**`];
  if (more > 0) lines.push(`…and ${more} more mention${more === 1 ? '' : 's'}`);
  // Without mentions the details are the embed; with them, the first few go under the summary.
  if (shown.length > 0) lines.push(...details.slice(0, 4).map((line) => fitDiscord(line, 300)));

  const descriptionLimit = Math.min(DESCRIPTION_MAX, Math.floor(TOTAL_EMBED_LIMIT / Math.max(1, shown.length)) - EMBED_OVERHEAD);
  const embeds = shown.length > 0 ? shown.map((m) => mentionEmbed(m, alert, descriptionLimit)) : details.length > 0 ? [detailsEmbed(alert, details)] : [];
  return { content: truncate(lines.join('\n'), CONTENT_LIMIT), embeds, allowed_mentions: { parse: [] } };
}
