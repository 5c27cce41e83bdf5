/**
 * Display helpers shared by the notifiers' renderers (and the digest's): numbers, times, links
 * and truncation. Pure functions; no medium-specific escaping happens here (each renderer
 * escapes for its medium).
 */
import type { Mention } from '../core/types.js';
import type { AlertContent, SourceDisplay } from './types.js';

/** 950 -> '950', 12_345 -> '12.3k', 1_200_000 -> '1.2M'. */
export function formatCount(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1_000_000) return `${trimZero((value / 1_000_000).toFixed(1))}M`;
  if (abs >= 1_000) return `${trimZero((value / 1_000).toFixed(1))}k`;
  return String(Math.round(value));
}

function trimZero(fixed: string): string {
  return fixed.endsWith('.0') ? fixed.slice(0, -2) : fixed;
}

/** How an alert names a mention's source; the type itself for one the alert does not describe. */
export function sourceDisplay(alert: Pick<AlertContent, 'sources'>, source: string): SourceDisplay {
  return alert.sources[source] ?? { label: source, reachUnit: 'reach' };
}

/** '12.3k followers', '512 karma' (`unit` from the source's manifest), or null when the source gave no figure. */
export function formatReach(reach: number | null, unit: string): string | null {
  if (reach === null || !Number.isFinite(reach)) return null;
  return `${formatCount(reach)} ${unit}`;
}

/**
 * Drops control characters (C0 but line feed and tab, DEL, C1): a mention's ANSI escape or bell
 * must not reach a terminal that shows the alert (a console mail reader, a log tail).
 */
export function withoutControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

/** 'u/foo (512 karma)', 'unknown author' when the source gave none. */
export function formatAuthor(mention: Pick<Mention, 'author' | 'reach'>, reachUnit: string): string {
  const name = withoutControls(mention.author ?? '').trim() || 'unknown author';
  const reach = formatReach(mention.reach, reachUnit);
  return reach ? `${name} (${reach})` : name;
}

/** '2026-11-23 08:00 UTC'; the input is returned unchanged when it is not a valid time. */
export function formatUtc(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** -0.7234 -> '-0.72', 0.5 -> '+0.50'. */
export function formatSigned(score: number): string {
  const fixed = score.toFixed(2);
  return score > 0 ? `+${fixed}` : fixed;
}

/** Cuts `text` to at most `max` characters (code points, so emoji are never split), adding '…'. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join('').trimEnd()}…`;
}

/** Collapses runs of whitespace (incl. newlines) into single spaces. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The URL as a normalised string when it is an absolute http(s) URL, otherwise null: a
 * `javascript:` or `data:` link from a feed must never become clickable.
 */
export function safeHttpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  if (!parsed.hostname) return null;
  return parsed.href;
}

/** 'negative (-0.72)' plus up to `maxReasons` reasons. */
export function formatScore(label: string, score: number, reasons: string[], maxReasons = 3, signed = true): string {
  const value = signed ? formatSigned(score) : score.toFixed(2);
  const top = reasons.slice(0, maxReasons).map(oneLine).filter(Boolean);
  return top.length > 0 ? `${label} (${value}): ${top.join(', ')}` : `${label} (${value})`;
}

/** Title (one line, capped at 200) and text (capped at `max`); a text that merely repeats the title is dropped. */
export function mentionBody(mention: Pick<Mention, 'title' | 'text'>, max: number): { title: string; text: string } {
  const title = oneLine(withoutControls(mention.title));
  const text = withoutControls(mention.text).trim();
  return { title: truncate(title, 200), text: oneLine(text) === title ? '' : truncate(text, max) };
}
