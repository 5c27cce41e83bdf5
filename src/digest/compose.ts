/** Turns a digest model into a mail message: subject, plain text, HTML and headers. */
import type { DigestConfig } from '../config/load.js';
import type { MailMessage } from '../notifiers/email/index.js';
import { digestDay, periodNoun } from './format.js';
import { plural } from '../core/text.js';
import { healthProblems, type DigestModel } from './model.js';
import { renderDigestHtml } from './render-html.js';
import { renderDigestText } from './render-text.js';

export function digestSubject(model: DigestModel): string {
  const day = digestDay(model);
  const failing = model.brands.reduce((n, b) => n + healthProblems(b).length, 0);
  const warning = failing > 0 ? `, ${plural(failing, 'source')} with problems` : '';
  const names = model.brands.map((b) => b.name).join(', ');
  if (model.beforeFirstPoll) return `[earshot] ${names}: no data yet (not polled before this period ended) — ${day}`;
  if (model.quiet) return `[earshot] ${names}: quiet ${periodNoun(model)}, no new mentions${warning} — ${day}`;
  const reply = model.brands.reduce((n, b) => n + b.needsReplyTotal, 0);
  const counts =
    model.brands.length === 1
      ? `${plural(model.brands[0]!.total, 'mention')}`
      : model.brands.map((b) => `${b.name} ${b.total}`).join(', ');
  const lead = model.brands.length === 1 ? `${names}: ${counts}` : `${model.name}: ${counts}`;
  return `[earshot] ${lead}, ${reply} need${reply === 1 ? 's' : ''} a reply${warning} — ${day}`;
}

/** A stable Message-ID per digest and period: a resend after a crash mid-send is recognised by mail clients. */
export function digestMessageId(digest: string, periodEnd: Date, from: string | undefined): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from ?? '')?.[1] ?? 'earshot.invalid';
  const stamp = periodEnd.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `<earshot.digest.${digest.replace(/[^A-Za-z0-9-]+/g, '-')}.${stamp}@${domain}>`;
}

export interface ComposeOptions {
  /** Scheduled sends set a stable Message-ID; manual sends (`earshot digest --send`) get a fresh one. */
  messageId?: string;
}

export function composeDigest(model: DigestModel, digest: Pick<DigestConfig, 'name' | 'to' | 'listUnsubscribe'>, options: ComposeOptions = {}): MailMessage {
  const headers: Record<string, string> = {
    'X-Earshot-Digest': digest.name,
    // Keeps vacation responders and ticket systems from answering a report.
    'Auto-Submitted': 'auto-generated',
  };
  if (digest.listUnsubscribe) headers['List-Unsubscribe'] = `<${digest.listUnsubscribe}>`;
  if (options.messageId) headers['Message-ID'] = options.messageId;
  const unsubscribeUrl = digest.listUnsubscribe?.startsWith('https://') ? digest.listUnsubscribe : null;
  return {
    to: digest.to,
    subject: digestSubject(model),
    text: renderDigestText(model),
    html: renderDigestHtml(model, { unsubscribeUrl }),
    headers,
  };
}
