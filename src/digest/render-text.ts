/**
 * The plain-text digest: reads well on its own (it is the part many people's clients show, and
 * what `earshot digest` prints). Charts become a sparkline of block characters.
 */
import { formatReach, safeHttpUrl } from '../notifiers/format.js';
import { reachUnit } from '../sources/registry.js';
import { byline, clean, excerpt, formatChange, localDay, localTime, percent, periodLabel, periodNoun, phraseSampleNote } from './format.js';
import { plural } from '../core/text.js';
import { healthProblems, SENTIMENT_ORDER, type BrandDigest, type DigestMention, type DigestModel } from './model.js';

const BLOCKS = '▁▂▃▄▅▆▇█';

/** '▁▁▃█▅▁': one character per bucket, scaled to the largest. */
export function sparkline(counts: number[]): string {
  const max = Math.max(0, ...counts);
  // Zero is the lowest block; any mention at all shows at least the second one.
  return counts.map((n) => (n === 0 || max === 0 ? BLOCKS[0] : BLOCKS[Math.max(1, Math.min(7, Math.ceil((n / max) * 8) - 1))])).join('');
}

function heading(text: string): string {
  return `\n${text.toUpperCase()}\n${'-'.repeat(text.length)}`;
}

function mentionLines(items: DigestMention[], timezone: string, withWhy: boolean): string[] {
  const lines: string[] = [];
  items.forEach((item, i) => {
    const m = item.mention;
    const why = withWhy && item.why.length ? ` [${item.why.map(clean).join(' · ')}]` : '';
    lines.push(`${i + 1}. ${byline(m, timezone)}${why}`);
    lines.push(`   ${excerpt(m)}`);
    const link = safeHttpUrl(m.url);
    if (link) lines.push(`   ${link}`);
  });
  return lines;
}

export function headlineText(b: BrandDigest): string {
  return `${plural(b.total, 'mention')} · ${formatChange(b.total, b.previousTotal)} on the period before (${b.previousTotal})`;
}

export function sentimentText(b: BrandDigest): string {
  return SENTIMENT_ORDER.filter((k) => k !== 'unknown' || b.sentiment.unknown > 0)
    .map((k) => `${b.sentiment[k]} ${k === 'unknown' ? 'unscored' : k} (${percent(b.sentiment[k], b.total)}%)`)
    .join(' · ');
}

function healthLines(b: BrandDigest): string[] {
  const problems = healthProblems(b);
  const polls = b.health.reduce((n, h) => n + h.polls, 0);
  const active = b.health.filter((h) => h.status !== 'disabled');
  if (problems.length === 0) return [`All ${plural(active.length, 'source')} polled normally (${plural(polls, 'poll')}).`];
  return problems.map((h) => `! ${h.sourceKey}: ${clean(h.detail)}`);
}

function brandText(model: DigestModel, b: BrandDigest): string[] {
  const tz = model.timezone;
  const lines: string[] = [heading(clean(b.name))];
  if (b.total === 0) {
    if (!model.beforeFirstPoll) lines.push(`Quiet: no new mentions in this period (${b.previousTotal} the period before).`);
    lines.push(...healthLines(b));
    if (healthProblems(b).length > 0 && !model.beforeFirstPoll) lines.push('The sources above had problems, so this quiet period may be a gap in coverage.');
    lines.push(...alertsAndHeldBack(model, b));
    return lines;
  }
  lines.push(headlineText(b));
  const problems = healthProblems(b).length;
  if (problems > 0) lines.push(`! ${plural(problems, 'source')} had problems in this period: coverage may be incomplete (see Source health).`);
  lines.push(`Sentiment: ${sentimentText(b)}`);
  lines.push(`Sources: ${b.bySource.map((s) => `${s.source} ${s.count}`).join(' · ')}`);
  const peak = b.volume.reduce((best, v) => (v.count > best.count ? v : best), b.volume[0]!);
  const unit = b.bucketMs === 3_600_000 ? 'hour' : 'day';
  const peakAt = unit === 'hour' ? localTime(peak.start, tz) : localDay(peak.start, tz);
  lines.push(`Volume per ${unit}: |${sparkline(b.volume.map((v) => v.count))}| peak ${peak.count} at ${peakAt}`);

  lines.push(heading(`Needs a reply (${b.needsReplyTotal})`));
  if (b.needsReply.length === 0) lines.push('Nothing negative, urgent or addressed to you.');
  lines.push(...mentionLines(b.needsReply, tz, true));
  if (b.needsReplyTotal > b.needsReply.length) lines.push(`… and ${b.needsReplyTotal - b.needsReply.length} more (earshot mentions --sentiment negative)`);

  if (b.topByReach.length > 0) {
    lines.push(heading('Top mentions by reach'));
    lines.push(...mentionLines(b.topByReach, tz, false));
  }
  if (b.newVoices.length > 0) {
    lines.push(heading(`New voices (${b.newVoicesTotal})`));
    for (const v of b.newVoices) {
      const reach = formatReach(v.reach, reachUnit(v.source));
      lines.push(`- ${clean(v.name)} (${v.kind === 'site' ? 'site' : v.source}${reach ? `, ${reach}` : ''}): ${plural(v.mentions, 'mention')}`);
    }
    if (b.newVoicesTotal > b.newVoices.length) lines.push(`… and ${b.newVoicesTotal - b.newVoices.length} more`);
  }
  if (b.phrases.length > 0) {
    lines.push(heading('Notable phrases'));
    lines.push(b.phrases.map((p) => `"${clean(p.phrase)}" (${p.mentions})`).join(' · '));
    if (b.phrasesSample) lines.push(`(${phraseSampleNote(b)})`);
  }
  lines.push(...alertsAndHeldBack(model, b));
  lines.push(heading('Source health'));
  lines.push(...healthLines(b));
  return lines;
}

function alertsAndHeldBack(model: DigestModel, b: BrandDigest): string[] {
  const lines: string[] = [];
  if (b.alerts.length > 0 || b.total > 0) {
    lines.push(heading(`Alerts sent (${b.alerts.length})`));
    if (b.alerts.length === 0) lines.push('No alerts went out.');
    for (const a of b.alerts) {
      lines.push(`- ${localTime(new Date(a.at), model.timezone)} ${clean(a.rule)}: ${clean(a.summary)} -> ${a.destinations.map(clean).join(', ')}`);
    }
  }
  if (b.heldBack.length > 0) {
    lines.push(heading('Held back'));
    for (const h of b.heldBack) lines.push(`- ${clean(h.text)}`);
  }
  return lines;
}

/** A new deployment's first digest: not quiet, just too early. */
export const BEFORE_FIRST_POLL = 'earshot had not polled any source when this period ended: nothing to report yet. The next digest covers the first polls.';

export function renderDigestText(model: DigestModel): string {
  const title = model.beforeFirstPoll
    ? `No data yet — earshot digest "${clean(model.name)}"`
    : model.quiet
      ? `Quiet ${periodNoun(model)} — earshot digest "${clean(model.name)}"`
      : `earshot digest "${clean(model.name)}"`;
  const lines = [title, periodLabel(model.period, model.timezone)];
  if (model.beforeFirstPoll) {
    lines.push('', BEFORE_FIRST_POLL);
  } else if (model.quiet) {
    lines.push('', `No new mentions of ${model.brands.map((b) => clean(b.name)).join(', ')} in this period.`);
  }
  for (const b of model.brands) lines.push(...brandText(model, b));
  lines.push('', '--', `Sent by earshot. Times are ${model.timezone}. Duplicates and reposts are not counted.`);
  return lines.join('\n') + '\n';
}
