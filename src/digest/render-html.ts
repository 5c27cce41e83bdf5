/**
 * The HTML digest, for real mail clients (Gmail, Outlook, Apple Mail): table layout, inline CSS
 * only (clients drop <style> blocks), charts as table cells with background colours (no images,
 * no SVG, no JavaScript), 600 px wide. Every piece of user content (mention text, authors,
 * rule summaries, error messages, brand names) is HTML-escaped; only http(s) URLs become links.
 */
import { escapeHtml } from '../notifiers/email/render.js';
import { formatReach, safeHttpUrl } from '../notifiers/format.js';
import { reachUnit } from '../sources/registry.js';
import { BEFORE_FIRST_POLL } from './render-text.js';
import { byline, clean, digestDay, excerpt, localDay, localTime, percent, periodLabel, periodNoun, phraseSampleNote } from './format.js';
import { plural } from '../core/text.js';
import { healthProblems, SENTIMENT_ORDER, type BrandDigest, type DigestMention, type DigestModel, type SentimentMix } from './model.js';

export interface HtmlOptions {
  /** https:// unsubscribe page shown in the footer. */
  unsubscribeUrl?: string | null;
}

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const INK = '#1f2933';
const MUTED = '#616e7c';
const LINE = '#e4e7eb';
const ACCENT = '#3b5bdb';
const WARN_BG = '#fff4e5';
const WARN_INK = '#8a4b00';

export const SENTIMENT_COLOURS: Record<keyof SentimentMix, string> = {
  negative: '#d64545',
  neutral: '#9aa5b1',
  positive: '#2f9e66',
  unknown: '#cbd2d9',
};

const e = (text: string) => escapeHtml(clean(text));

function link(url: string | null, label: string): string {
  const safe = safeHttpUrl(url);
  return safe ? `<a href="${escapeHtml(safe)}" style="color:${ACCENT};text-decoration:none;">${label}</a>` : label;
}

function section(title: string, body: string): string {
  return (
    `<tr><td style="padding:20px 24px 4px 24px;${FONT};font-size:13px;font-weight:700;letter-spacing:.06em;text-transform:uppercase;color:${MUTED};">${title}</td></tr>` +
    `<tr><td style="padding:4px 24px 0 24px;${FONT};font-size:14px;line-height:1.45;color:${INK};">${body}</td></tr>`
  );
}

function stat(value: string, label: string, colour = INK): string {
  return (
    `<td width="25%" valign="top" style="padding:8px 4px;${FONT};">` +
    `<div style="font-size:26px;font-weight:700;color:${colour};line-height:1.1;">${value}</div>` +
    `<div style="font-size:12px;color:${MUTED};padding-top:2px;">${label}</div></td>`
  );
}

function headline(b: BrandDigest): string {
  const diff = b.total - b.previousTotal;
  const change = diff === 0 ? '±0' : `${diff > 0 ? '+' : '−'}${Math.abs(diff)}`;
  const pct = b.previousTotal > 0 && diff !== 0 ? `${diff > 0 ? '+' : '−'}${percent(Math.abs(diff), b.previousTotal)}% ` : '';
  const changeColour = b.total > b.previousTotal ? '#c05621' : b.total < b.previousTotal ? '#2f9e66' : MUTED;
  const negShare = `${percent(b.sentiment.negative, b.total)}%`;
  return (
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>` +
    stat(String(b.total), 'mentions') +
    stat(change, `${pct}vs ${b.previousTotal} before`, changeColour) +
    stat(negShare, 'negative', b.sentiment.negative > 0 ? SENTIMENT_COLOURS.negative : INK) +
    stat(String(b.needsReplyTotal), 'need a reply', b.needsReplyTotal > 0 ? ACCENT : INK) +
    `</tr></table>`
  );
}

/** A 100%-wide stacked bar of the sentiment mix, with a legend under it. */
export function sentimentBar(b: BrandDigest): string {
  const keys = SENTIMENT_ORDER.filter((k) => b.sentiment[k] > 0);
  const cells = keys
    .map((k) => {
      const width = Math.max(1, Math.round((b.sentiment[k] / b.total) * 100));
      return `<td width="${width}%" height="14" bgcolor="${SENTIMENT_COLOURS[k]}" style="height:14px;background:${SENTIMENT_COLOURS[k]};font-size:0;line-height:0;">&nbsp;</td>`;
    })
    .join('');
  const legend = SENTIMENT_ORDER.filter((k) => k !== 'unknown' || b.sentiment.unknown > 0)
    .map(
      (k) =>
        `<span style="white-space:nowrap;padding-right:12px;"><span style="color:${SENTIMENT_COLOURS[k]};font-size:14px;">&#9632;</span> ` +
        `${k === 'unknown' ? 'unscored' : k} ${b.sentiment[k]} (${percent(b.sentiment[k], b.total)}%)</span>`,
    )
    .join(' ');
  return (
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-radius:3px;"><tr>${cells}</tr></table>` +
    `<div style="font-size:12px;color:${MUTED};padding-top:6px;">${legend}</div>`
  );
}

const CHART_HEIGHT = 72;

/** Vertical bars, one table cell per bucket; every 6th bucket labelled with its local time. */
export function volumeChart(model: DigestModel, b: BrandDigest): string {
  const max = Math.max(1, ...b.volume.map((v) => v.count));
  const hourly = b.bucketMs === 3_600_000;
  const bars = b.volume
    .map((v) => {
      const h = v.count === 0 ? 1 : Math.max(3, Math.round((v.count / max) * CHART_HEIGHT));
      const colour = v.count === 0 ? LINE : ACCENT;
      const title = `${hourly ? localTime(v.start, model.timezone) : localDay(v.start, model.timezone)}: ${v.count}`;
      return (
        `<td valign="bottom" style="padding:0 1px;height:${CHART_HEIGHT}px;" title="${escapeHtml(title)}">` +
        `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>` +
        `<td height="${h}" bgcolor="${colour}" style="height:${h}px;background:${colour};font-size:0;line-height:0;">&nbsp;</td>` +
        `</tr></table></td>`
      );
    })
    .join('');
  const step = hourly ? 6 : Math.max(1, Math.ceil(b.volume.length / 8));
  const labels = b.volume
    .map((v, i) => {
      const text = i % step === 0 ? (hourly ? localTime(v.start, model.timezone) : localDay(v.start, model.timezone)) : '';
      return `<td style="${FONT};font-size:10px;color:${MUTED};white-space:nowrap;padding-top:3px;" valign="top">${text}</td>`;
    })
    .join('');
  const peak = b.volume.reduce((best, v) => (v.count > best.count ? v : best), b.volume[0]!);
  const peakAt = hourly ? localTime(peak.start, model.timezone) : localDay(peak.start, model.timezone);
  return (
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="table-layout:fixed;border-bottom:1px solid ${LINE};"><tr>${bars}</tr></table>` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="table-layout:fixed;"><tr>${labels}</tr></table>` +
    `<div style="font-size:12px;color:${MUTED};padding-top:4px;">Mentions per ${hourly ? 'hour' : 'day'}; peak ${peak.count} at ${peakAt}. ` +
    `By source: ${b.bySource.map((s) => `${escapeHtml(s.source)} ${s.count}`).join(' · ')}</div>`
  );
}

function mentionCard(item: DigestMention, model: DigestModel, withWhy: boolean): string {
  const m = item.mention;
  const border = SENTIMENT_COLOURS[m.sentiment.label];
  const why = withWhy && item.why.length
    ? `<div style="font-size:11px;font-weight:700;color:${border === SENTIMENT_COLOURS.negative ? SENTIMENT_COLOURS.negative : WARN_INK};text-transform:uppercase;letter-spacing:.04em;padding-bottom:2px;">${item.why.map(e).join(' · ')}</div>`
    : '';
  const text = e(excerpt(m));
  const open = safeHttpUrl(m.url) ? ` ${link(m.url, 'Open&nbsp;&rarr;')}` : '';
  return (
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 10px 0;"><tr>` +
    `<td width="3" bgcolor="${border}" style="background:${border};font-size:0;line-height:0;">&nbsp;</td>` +
    `<td style="padding:4px 0 4px 10px;${FONT};font-size:14px;line-height:1.4;color:${INK};">${why}` +
    `<div>${text}${open}</div>` +
    `<div style="font-size:12px;color:${MUTED};padding-top:2px;">${e(byline(m, model.timezone))}</div></td></tr></table>`
  );
}

function list(items: string[]): string {
  return `<ul style="margin:0;padding:0 0 0 18px;">${items.map((i) => `<li style="padding:2px 0;">${i}</li>`).join('')}</ul>`;
}

function healthBox(b: BrandDigest): string {
  const problems = healthProblems(b);
  const polls = b.health.reduce((n, h) => n + h.polls, 0);
  const active = b.health.filter((h) => h.status !== 'disabled').length;
  if (problems.length === 0) {
    return `<div style="color:${MUTED};">All ${plural(active, 'source')} polled normally (${plural(polls, 'poll')}).</div>`;
  }
  const rows = problems.map((h) => `<strong>${e(h.sourceKey)}</strong>: ${e(h.detail)}`);
  return `<div style="background:${WARN_BG};color:${WARN_INK};border-radius:4px;padding:8px 12px;">${list(rows)}</div>`;
}

function alertsAndHeldBack(model: DigestModel, b: BrandDigest): string {
  let out = '';
  if (b.alerts.length > 0 || b.total > 0) {
    const rows = b.alerts.map(
      (a) => `<span style="color:${MUTED};">${localTime(new Date(a.at), model.timezone)}</span> <strong>${e(a.rule)}</strong>: ${e(a.summary)} <span style="color:${MUTED};">&rarr; ${a.destinations.map(e).join(', ')}</span>`,
    );
    out += section(`Alerts sent (${b.alerts.length})`, rows.length ? list(rows) : `<span style="color:${MUTED};">No alerts went out.</span>`);
  }
  if (b.heldBack.length > 0) out += section('Held back', list(b.heldBack.map((h) => e(h.text))));
  return out;
}

function brandHtml(model: DigestModel, b: BrandDigest): string {
  let out = `<tr><td style="padding:24px 24px 0 24px;${FONT};font-size:20px;font-weight:700;color:${INK};border-top:1px solid ${LINE};">${e(b.name)}</td></tr>`;
  if (b.total === 0) {
    const gap = healthProblems(b).length > 0 ? ' Some sources had problems, so this may be a gap in coverage: see below.' : '';
    if (!model.beforeFirstPoll) out += `<tr><td style="padding:8px 24px 0 24px;${FONT};font-size:15px;color:${INK};">Quiet: no new mentions in this period (${b.previousTotal} the period before).${gap}</td></tr>`;
    out += alertsAndHeldBack(model, b);
    out += section('Source health', healthBox(b));
    return out;
  }
  out += `<tr><td style="padding:8px 20px 0 20px;">${headline(b)}</td></tr>`;
  const problems = healthProblems(b).length;
  if (problems > 0) {
    out += `<tr><td style="padding:8px 24px 0 24px;${FONT};font-size:13px;"><div style="background:${WARN_BG};color:${WARN_INK};border-radius:4px;padding:6px 12px;">&#9888; ${plural(problems, 'source')} had problems in this period: coverage may be incomplete (see Source health).</div></td></tr>`;
  }
  out += section('Sentiment', sentimentBar(b));
  out += section('Volume', volumeChart(model, b));
  const reply = b.needsReply.map((item) => mentionCard(item, model, true)).join('');
  const more = b.needsReplyTotal > b.needsReply.length ? `<div style="color:${MUTED};font-size:12px;">and ${b.needsReplyTotal - b.needsReply.length} more</div>` : '';
  out += section(`Needs a reply (${b.needsReplyTotal})`, reply ? reply + more : `<span style="color:${MUTED};">Nothing negative, urgent or addressed to you.</span>`);
  if (b.topByReach.length > 0) out += section('Top mentions by reach', b.topByReach.map((item) => mentionCard(item, model, false)).join(''));
  if (b.newVoices.length > 0) {
    const rows = b.newVoices.map((v) => {
      const reach = formatReach(v.reach, reachUnit(v.source));
      return `<strong>${e(v.name)}</strong> <span style="color:${MUTED};">${v.kind === 'site' ? 'site' : escapeHtml(v.source)}${reach ? `, ${escapeHtml(reach)}` : ''} · ${plural(v.mentions, 'mention')}</span>`;
    });
    const more = b.newVoicesTotal > b.newVoices.length ? `<div style="color:${MUTED};font-size:12px;">and ${b.newVoicesTotal - b.newVoices.length} more</div>` : '';
    out += section(`New voices (${b.newVoicesTotal})`, list(rows) + more);
  }
  if (b.phrases.length > 0) {
    const chips = b.phrases
      .map((p) => `<span style="display:inline-block;background:#edf2ff;color:${ACCENT};border-radius:12px;padding:3px 10px;margin:0 6px 6px 0;font-size:13px;">${e(p.phrase)} <span style="color:${MUTED};">${p.mentions}</span></span>`)
      .join('');
    const note = b.phrasesSample ? `<div style="color:${MUTED};font-size:12px;">${e(phraseSampleNote(b))}</div>` : '';
    out += section('Notable phrases', chips + note);
  }
  out += alertsAndHeldBack(model, b);
  out += section('Source health', healthBox(b));
  return out;
}

export function renderDigestHtml(model: DigestModel, options: HtmlOptions = {}): string {
  const title = model.beforeFirstPoll ? `No data yet · ${digestDay(model)}` : model.quiet ? `Quiet ${periodNoun(model)} · ${digestDay(model)}` : `Digest for ${digestDay(model)}`;
  const introText = model.beforeFirstPoll ? escapeHtml(BEFORE_FIRST_POLL) : `No new mentions of ${model.brands.map((b) => e(b.name)).join(', ')} in this period.`;
  const intro = model.quiet || model.beforeFirstPoll ? `<tr><td style="padding:0 24px 20px 24px;${FONT};font-size:15px;color:${INK};">${introText}</td></tr>` : '';
  const unsubscribe = safeHttpUrl(options.unsubscribeUrl ?? null);
  const footer =
    `Sent by earshot (digest <strong>${e(model.name)}</strong>). Times are ${escapeHtml(model.timezone)}. Reposts and duplicates are not counted.` +
    (unsubscribe ? ` ${link(unsubscribe, 'Unsubscribe')}` : '');
  return (
    `<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>earshot digest ${e(model.name)}</title></head>` +
    `<body style="margin:0;padding:0;background:#f5f7fa;">` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#f5f7fa" style="background:#f5f7fa;"><tr><td align="center" style="padding:16px 8px;">` +
    `<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff" style="width:100%;max-width:600px;background:#ffffff;border:1px solid ${LINE};border-radius:6px;">` +
    `<tr><td style="padding:20px 24px 0 24px;${FONT};"><div style="font-size:12px;font-weight:700;letter-spacing:.08em;text-transform:uppercase;color:${ACCENT};">earshot · ${e(model.name)}</div>` +
    `<div style="font-size:22px;font-weight:700;color:${INK};padding-top:4px;">${title}</div>` +
    `<div style="font-size:13px;color:${MUTED};padding:2px 0 16px 0;">${escapeHtml(periodLabel(model.period, model.timezone))}</div></td></tr>` +
    intro +
    model.brands.map((b) => brandHtml(model, b)).join('') +
    `<tr><td style="padding:24px;${FONT};font-size:12px;color:${MUTED};">${footer}</td></tr>` +
    `</table></td></tr></table></body></html>`
  );
}
