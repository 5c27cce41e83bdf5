/**
 * Twitter/X: the X API v2 recent-search payload (loose, as foreign APIs add fields), mapped into
 * earshot's FetchedItem. Apart from the settings schema (schema.ts) so `earshot check` does not
 * build these: only polling needs them.
 */
import { z } from 'zod';
import { collapseWhitespace, decodeEntities } from '../../core/text.js';
import type { FetchedItem } from '../../core/types.js';

const count = z.number().int().nonnegative();

export const tweetSchema = z.object({
  id: z.string().regex(/^\d+$/),
  text: z.string(),
  author_id: z.string().optional(),
  created_at: z.string().optional(),
  lang: z.string().optional(),
  conversation_id: z.string().optional(),
  public_metrics: z
    .object({
      retweet_count: count.optional(),
      reply_count: count.optional(),
      like_count: count.optional(),
      quote_count: count.optional(),
      bookmark_count: count.optional(),
      impression_count: count.optional(),
    })
    .optional(),
  entities: z
    .object({
      urls: z
        .array(
          z.object({
            url: z.string(),
            expanded_url: z.string().optional(),
            unwound_url: z.string().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  referenced_tweets: z.array(z.object({ type: z.string(), id: z.string() })).optional(),
});
export type Tweet = z.infer<typeof tweetSchema>;

export const twitterUserSchema = z.object({
  id: z.string(),
  username: z.string(),
  name: z.string().optional(),
  public_metrics: z.object({ followers_count: count.optional() }).optional(),
});
export type TwitterUser = z.infer<typeof twitterUserSchema>;

/** The envelope; tweets and users are validated one by one so one odd tweet cannot sink a page. */
export const searchResponseSchema = z.object({
  data: z.array(z.unknown()).optional(),
  includes: z.object({ users: z.array(z.unknown()).optional() }).optional(),
  meta: z
    .object({
      newest_id: z.string().optional(),
      oldest_id: z.string().optional(),
      result_count: z.number().optional(),
      next_token: z.string().optional(),
    })
    .optional(),
  errors: z.array(z.unknown()).optional(),
});

/** X's error bodies: v2 "problem" objects, or v1-style `errors: [{ message, code }]`. */
export const problemSchema = z.object({
  title: z.string().optional(),
  detail: z.string().optional(),
  reason: z.string().optional(),
  type: z.string().optional(),
  errors: z.array(z.object({ message: z.string().optional() }).loose()).optional(),
});

/** Twitter's epoch in a snowflake id: ids carry their creation time in the top 42 bits. */
const TWITTER_EPOCH_MS = 1288834974657n;

/** The creation time encoded in a tweet id (ids since late 2010), as ISO UTC. */
export function snowflakeTime(id: string): string | null {
  try {
    const value = BigInt(id);
    // Ids from before snowflakes (2010) are small sequence numbers with no time in them.
    if (value < 1n << 40n) return null;
    return new Date(Number((value >> 22n) + TWITTER_EPOCH_MS)).toISOString();
  } catch {
    return null;
  }
}

const TWITTER_HOSTS = /(^|\.)(twitter\.com|x\.com|t\.co)$/i;

/** The first link that leaves X (a tweet's own photo/quote links are not a story). */
export function firstExternalLink(tweet: Tweet): string | null {
  for (const entry of tweet.entities?.urls ?? []) {
    const candidate = entry.unwound_url ?? entry.expanded_url;
    if (!candidate) continue;
    try {
      const host = new URL(candidate).hostname;
      if (!TWITTER_HOSTS.test(host)) return candidate;
    } catch {
      // not a URL: skip
    }
  }
  return null;
}

function kindOf(tweet: Tweet): string {
  const types = new Set((tweet.referenced_tweets ?? []).map((r) => r.type));
  if (types.has('retweeted')) return 'repost';
  if (types.has('quoted')) return 'quote';
  if (types.has('replied_to')) return 'reply';
  return 'post';
}

function metricsOf(tweet: Tweet): Record<string, number> {
  const m = tweet.public_metrics;
  const out: Record<string, number> = {};
  if (!m) return out;
  if (m.like_count !== undefined) out.likes = m.like_count;
  if (m.retweet_count !== undefined) out.reposts = m.retweet_count;
  if (m.reply_count !== undefined) out.replies = m.reply_count;
  if (m.quote_count !== undefined) out.quotes = m.quote_count;
  if (m.bookmark_count !== undefined) out.bookmarks = m.bookmark_count;
  if (m.impression_count !== undefined) out.impressions = m.impression_count;
  return out;
}

/** Tweet text with t.co links expanded (so a query for a domain matches) and entities decoded. */
function textOf(tweet: Tweet): string {
  let text = tweet.text;
  for (const entry of tweet.entities?.urls ?? []) {
    const expanded = entry.unwound_url ?? entry.expanded_url;
    if (expanded) text = text.split(entry.url).join(expanded);
  }
  return collapseWhitespace(decodeEntities(text));
}

function isoOrNull(value: string | undefined): string | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

export function mapTweet(tweet: Tweet, users: Map<string, TwitterUser>): FetchedItem {
  const author = tweet.author_id ? users.get(tweet.author_id) : undefined;
  const url = author
    ? `https://x.com/${author.username}/status/${tweet.id}`
    : `https://x.com/i/web/status/${tweet.id}`;
  return {
    sourceId: tweet.id,
    url,
    author: author?.username ?? null,
    reach: author?.public_metrics?.followers_count ?? null,
    title: '',
    text: textOf(tweet),
    published: isoOrNull(tweet.created_at) ?? snowflakeTime(tweet.id),
    language: tweet.lang && tweet.lang !== 'und' ? tweet.lang : null,
    kind: kindOf(tweet),
    linkUrl: firstExternalLink(tweet),
    metrics: metricsOf(tweet),
  };
}
