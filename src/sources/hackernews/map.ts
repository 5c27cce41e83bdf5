/**
 * Algolia HN hits -> earshot's FetchedItem. Stories and comments both point `url` at the item on
 * news.ycombinator.com; `linkUrl` is the story's own link (for a comment, its story's link), which
 * ties the same story across HN, Reddit and Twitter.
 */
import { htmlToText } from '../../core/text.js';
import type { FetchedItem } from '../../core/types.js';
import type { HnHit } from './payload.js';

export const HN_ITEM_URL = 'https://news.ycombinator.com/item?id=';

const KINDS = ['comment', 'story', 'poll', 'pollopt'] as const;

function kindOf(hit: HnHit): string {
  const tags = hit._tags ?? [];
  const tagged = KINDS.find((kind) => tags.includes(kind));
  if (tagged) return tagged;
  return hit.comment_text ? 'comment' : 'story';
}

function metrics(entries: Record<string, number | null | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(entries)) {
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  }
  return out;
}

export function mapHit(hit: HnHit): FetchedItem {
  const kind = kindOf(hit);
  const isComment = kind === 'comment';
  const html = isComment ? hit.comment_text : hit.story_text;
  return {
    sourceId: hit.objectID,
    url: `${HN_ITEM_URL}${hit.objectID}`,
    author: hit.author || null,
    reach: hit.points ?? null,
    title: ((isComment ? hit.story_title : hit.title) ?? '').trim(),
    text: html ? htmlToText(html) : '',
    published: new Date(hit.created_at_i * 1000).toISOString(),
    kind,
    linkUrl: (isComment ? hit.story_url : hit.url) || null,
    metrics: metrics({ points: hit.points, comments: hit.num_comments }),
  };
}
