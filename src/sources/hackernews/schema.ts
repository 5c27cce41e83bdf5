/**
 * Hacker News (Algolia HN Search API): the user's settings (strict). The search response schema
 * lives in payload.ts, loaded with the polling code only.
 */
import { z } from 'zod';
import { once } from '../../core/lazy.js';

/** Algolia HN item tags that can be searched for; several are OR'ed. */
export const HN_TAGS = ['story', 'comment', 'ask_hn', 'show_hn', 'poll', 'front_page'] as const;
export type HnTag = (typeof HN_TAGS)[number];

function build() {
  return z.strictObject({
    /** Algolia full-text query over titles, URLs, story and comment text. */
    query: z.string().trim().min(1, 'query must not be empty: the words to look for on Hacker News'),
    /** Which items: any of story, comment, ask_hn, show_hn, poll, front_page; default stories and comments. */
    tags: z
      .array(z.enum(HN_TAGS, { message: `a tag is one of ${HN_TAGS.join(', ')}` }))
      .min(1, 'tags must list at least one of story, comment, ...; or be left out for stories and comments')
      .default(['story', 'comment']),
  });
}

export type HackernewsConfig = z.output<ReturnType<typeof build>>;

/** The settings schema, built on first use (see `once`). */
export const hackernewsSettingsSchema = once(build);
