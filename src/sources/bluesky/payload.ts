/**
 * Bluesky: the XRPC payloads (loose, as foreign APIs add fields): sessions, XRPC errors and
 * `app.bsky.feed.searchPosts` postViews, mapped into earshot's FetchedItem. Apart from the
 * settings schema (schema.ts) so `earshot check` does not build these: only polling needs them.
 */
import { z } from 'zod';
import { collapseWhitespace } from '../../core/text.js';
import type { FetchedItem } from '../../core/types.js';

export const sessionSchema = z.object({
  accessJwt: z.string().min(1),
  refreshJwt: z.string().min(1),
  did: z.string().optional(),
  handle: z.string().optional(),
});
export type BlueskySession = z.infer<typeof sessionSchema>;

/** The XRPC error envelope: `{ error: 'ExpiredToken', message: 'Token has expired' }`. */
export const xrpcErrorSchema = z.object({ error: z.string().optional(), message: z.string().optional() });

const count = z.number().int().nonnegative();

const externalEmbed = z.object({ external: z.object({ uri: z.string() }) });

export const postViewSchema = z.object({
  uri: z.string().startsWith('at://'),
  author: z.object({
    did: z.string(),
    handle: z.string(),
    displayName: z.string().optional(),
    followersCount: count.optional(),
  }),
  record: z
    .object({
      text: z.string().optional(),
      createdAt: z.string().optional(),
      langs: z.array(z.string()).optional(),
      reply: z.unknown().optional(),
      embed: z.unknown().optional(),
      facets: z
        .array(z.object({ features: z.array(z.object({ $type: z.string().optional(), uri: z.string().optional() }).loose()) }).loose())
        .optional(),
    })
    .loose(),
  embed: z.unknown().optional(),
  replyCount: count.optional(),
  repostCount: count.optional(),
  likeCount: count.optional(),
  quoteCount: count.optional(),
  indexedAt: z.string(),
});
export type PostView = z.infer<typeof postViewSchema>;

export const searchPostsSchema = z.object({
  posts: z.array(z.unknown()),
  cursor: z.string().optional(),
  hitsTotal: z.number().optional(),
});

function isoOrNull(value: string | undefined): string | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** Sort key of a post in `sort=latest` results, and what the cursor stores: indexedAt, ISO UTC. */
export function sortTime(post: PostView): string | null {
  return isoOrNull(post.indexedAt);
}

/** The link card (external embed) the post shows, else its first link facet. */
export function firstExternalLink(post: PostView): string | null {
  for (const embed of [post.embed, post.record.embed]) {
    const direct = externalEmbed.safeParse(embed);
    if (direct.success) return direct.data.external.uri;
    // A post with both media and a link card (recordWithMedia) nests the card under `media`.
    const nested = z.object({ media: externalEmbed }).safeParse(embed);
    if (nested.success) return nested.data.media.external.uri;
  }
  for (const facet of post.record.facets ?? []) {
    for (const feature of facet.features) {
      if (feature.$type === 'app.bsky.richtext.facet#link' && feature.uri) return feature.uri;
    }
  }
  return null;
}

function isQuote(post: PostView): boolean {
  const type = (post.record.embed as { $type?: unknown } | undefined)?.$type;
  return type === 'app.bsky.embed.record' || type === 'app.bsky.embed.recordWithMedia';
}

function metricsOf(post: PostView): Record<string, number> {
  const out: Record<string, number> = {};
  if (post.likeCount !== undefined) out.likes = post.likeCount;
  if (post.repostCount !== undefined) out.reposts = post.repostCount;
  if (post.replyCount !== undefined) out.replies = post.replyCount;
  if (post.quoteCount !== undefined) out.quotes = post.quoteCount;
  return out;
}

/** https://bsky.app/profile/{handle}/post/{rkey}; the DID stands in for a handle that does not resolve. */
export function postUrl(post: PostView): string | null {
  const rkey = post.uri.split('/').pop();
  if (!rkey) return null;
  const who = post.author.handle && post.author.handle !== 'handle.invalid' ? post.author.handle : post.author.did;
  return `https://bsky.app/profile/${who}/post/${rkey}`;
}

export function mapPost(post: PostView): FetchedItem {
  return {
    sourceId: post.uri,
    url: postUrl(post),
    author: post.author.handle,
    // searchPosts' author view (profileViewBasic) carries no followers count today; taken when present.
    reach: post.author.followersCount ?? null,
    title: '',
    // Post text is plain text already (no markup, no entities): only whitespace is tidied.
    text: collapseWhitespace(post.record.text ?? ''),
    published: isoOrNull(post.record.createdAt) ?? isoOrNull(post.indexedAt),
    language: post.record.langs?.[0] ?? null,
    kind: post.record.reply ? 'reply' : isQuote(post) ? 'quote' : 'post',
    linkUrl: firstExternalLink(post),
    metrics: metricsOf(post),
  };
}
