/**
 * Mastodon: the Status entity (loose, as instances and forks add fields), mapped into earshot's
 * FetchedItem. Apart from the settings schema (schema.ts) so `earshot check` does not build it.
 */
import { lazy } from '../../core/lazy.js';
import { z } from 'zod';
import { htmlToText } from '../../core/text.js';
import type { FetchedItem } from '../../core/types.js';

const htmlparser2 = lazy<typeof import('htmlparser2')>('htmlparser2');

const count = z.number().int().nonnegative();

const accountSchema = z.object({
  id: z.string().optional(),
  acct: z.string(),
  username: z.string().optional(),
  display_name: z.string().optional(),
  followers_count: count.optional(),
});

const baseStatus = z.object({
  id: z.string().min(1),
  uri: z.string().optional(),
  url: z.string().nullable().optional(),
  created_at: z.string(),
  content: z.string().default(''),
  spoiler_text: z.string().optional(),
  language: z.string().nullable().optional(),
  in_reply_to_id: z.string().nullable().optional(),
  account: accountSchema,
  replies_count: count.optional(),
  reblogs_count: count.optional(),
  favourites_count: count.optional(),
  quotes_count: count.optional(),
  card: z.object({ url: z.string() }).loose().nullable().optional(),
});

export const statusSchema = baseStatus.extend({ reblog: baseStatus.nullable().optional() });
export type Status = z.infer<typeof statusSchema>;
type BaseStatus = z.infer<typeof baseStatus>;

export const searchResultSchema = z.object({ statuses: z.array(z.unknown()) });

/** The first link in the HTML that is not a mention or a hashtag (Mastodon marks those). */
export function firstContentLink(html: string): string | null {
  let found: string | null = null;
  const parser = new (htmlparser2().Parser)({
    onopentag(name, attrs) {
      if (found || name !== 'a' || !attrs.href) return;
      const cls = attrs.class ?? '';
      if (/\b(mention|hashtag)\b/.test(cls) || attrs.rel === 'tag') return;
      if (/^https?:\/\//i.test(attrs.href)) found = attrs.href;
    },
  });
  parser.write(html);
  parser.end();
  return found;
}

function metricsOf(status: BaseStatus): Record<string, number> {
  const out: Record<string, number> = {};
  if (status.favourites_count !== undefined) out.likes = status.favourites_count;
  if (status.reblogs_count !== undefined) out.reposts = status.reblogs_count;
  if (status.replies_count !== undefined) out.replies = status.replies_count;
  if (status.quotes_count !== undefined) out.quotes = status.quotes_count;
  return out;
}

function isoOrNull(value: string): string | null {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * A boost (reblog) is mapped as the boosted status: its author, text, reach and id, so the same
 * post boosted by many accounts is one mention, not many.
 */
export function mapStatus(wrapper: Status): FetchedItem {
  const status: BaseStatus = wrapper.reblog ?? wrapper;
  const body = htmlToText(status.content);
  const spoiler = status.spoiler_text ? htmlToText(status.spoiler_text) : '';
  return {
    // The ActivityPub id is the same on every instance; the numeric id is local to one.
    sourceId: status.uri ?? status.url ?? status.id,
    url: status.url ?? status.uri ?? null,
    author: status.account.acct,
    reach: status.account.followers_count ?? null,
    title: '',
    // A content warning is part of what readers see first; keep it in front of the body.
    text: spoiler ? `${spoiler}\n\n${body}` : body,
    published: isoOrNull(status.created_at),
    language: status.language ?? null,
    kind: status.in_reply_to_id ? 'reply' : 'post',
    linkUrl: status.card?.url ?? firstContentLink(status.content),
    metrics: metricsOf(status),
  };
}

/** Mastodon ids are numeric strings (forks use sortable flake ids): longer is newer, then by text. */
export function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
