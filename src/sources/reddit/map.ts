/**
 * Reddit things -> earshot's FetchedItem.
 *
 * Reach is the item's score: listings carry no author karma, and fetching every author's
 * profile would cost one request per mention against a 100-per-minute budget.
 */
import { htmlToText } from '../../core/text.js';
import type { FetchedItem } from '../../core/types.js';
import type { RedditComment, RedditPost } from './payload.js';

export const REDDIT_WEB = 'https://www.reddit.com';

/** Reddit's placeholder for a deleted or removed account is not an author. */
function authorOf(author: string | null | undefined): string | null {
  if (!author || author === '[deleted]' || author === '[removed]') return null;
  return author;
}

/** The canonical thread link: permalink without tracking parameters (`?ref=search_posts`). */
function permalinkUrl(permalink: string): string {
  const url = new URL(permalink, REDDIT_WEB);
  url.search = '';
  url.hash = '';
  return url.toString();
}

function published(createdUtc: number): string {
  return new Date(createdUtc * 1000).toISOString();
}

/** HTML when Reddit rendered it (markdown resolved), else the raw markdown source. */
function bodyText(html: string | null | undefined, raw: string | null | undefined): string {
  if (html) return htmlToText(html);
  return (raw ?? '').trim();
}

/** A link post's target; a self post links to itself, which ties nothing together. */
function postLink(post: RedditPost): string | null {
  if (post.url_overridden_by_dest) return post.url_overridden_by_dest;
  if (post.is_self || !post.url) return null;
  return new URL(post.url, REDDIT_WEB).toString();
}

function metrics(entries: Record<string, number | null | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(entries)) {
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  }
  return out;
}

export function mapPost(post: RedditPost): FetchedItem {
  return {
    sourceId: post.name,
    url: post.permalink ? permalinkUrl(post.permalink) : `${REDDIT_WEB}/comments/${post.id}/`,
    author: authorOf(post.author),
    reach: post.score ?? null,
    title: post.title.trim(),
    text: bodyText(post.selftext_html, post.selftext),
    published: published(post.created_utc),
    kind: 'post',
    linkUrl: postLink(post),
    metrics: metrics({ score: post.score, comments: post.num_comments }),
  };
}

/** A comment's thread link points at the post's target, unless that target is the thread itself (self post). */
function commentLink(comment: RedditComment): string | null {
  if (!comment.link_url) return null;
  const postId = comment.link_id?.replace(/^t3_/, '');
  let url: URL;
  try {
    url = new URL(comment.link_url, REDDIT_WEB);
  } catch {
    return null;
  }
  const isThread = /(^|\.)reddit\.com$/i.test(url.hostname) && postId !== undefined && url.pathname.includes(`/comments/${postId}/`);
  return isThread ? null : url.toString();
}

export function mapComment(comment: RedditComment): FetchedItem {
  const postId = comment.link_id?.replace(/^t3_/, '') ?? '';
  // Older listings omit permalink on comments; this form resolves on reddit.com all the same.
  const url = comment.permalink
    ? permalinkUrl(comment.permalink)
    : `${REDDIT_WEB}/r/${comment.subreddit ?? 'all'}/comments/${postId}/_/${comment.id}/`;
  return {
    sourceId: comment.name,
    url,
    author: authorOf(comment.author),
    reach: comment.score ?? null,
    title: (comment.link_title ?? '').trim(),
    text: bodyText(comment.body_html, comment.body),
    published: published(comment.created_utc),
    kind: 'comment',
    linkUrl: commentLink(comment),
    metrics: metrics({ score: comment.score }),
  };
}
