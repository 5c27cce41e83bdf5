/**
 * Hacker News (Algolia HN Search API): the user's settings (strict) and the search response
 * (loose: only the fields earshot maps are checked).
 */
import { z } from 'zod';

/** Algolia HN item tags that can be searched for; several are OR'ed. */
export const HN_TAGS = ['story', 'comment', 'ask_hn', 'show_hn', 'poll', 'front_page'] as const;
export type HnTag = (typeof HN_TAGS)[number];

export const hackernewsConfigSchema = z.strictObject({
  /** Algolia full-text query over titles, URLs, story and comment text. */
  query: z.string().trim().min(1, 'query must not be empty: the words to look for on Hacker News'),
  /** Which items: any of story, comment, ask_hn, show_hn, poll, front_page; default stories and comments. */
  tags: z
    .array(z.enum(HN_TAGS, { message: `a tag is one of ${HN_TAGS.join(', ')}` }))
    .min(1, 'tags must list at least one of story, comment, ...; or be left out for stories and comments')
    .default(['story', 'comment']),
});

export type HackernewsConfig = z.output<typeof hackernewsConfigSchema>;

export const hitSchema = z.looseObject({
  objectID: z.string().min(1),
  created_at_i: z.number(),
  _tags: z.array(z.string()).nullish(),
  title: z.string().nullish(),
  url: z.string().nullish(),
  author: z.string().nullish(),
  points: z.number().nullish(),
  num_comments: z.number().nullish(),
  story_text: z.string().nullish(),
  comment_text: z.string().nullish(),
  story_id: z.number().nullish(),
  story_title: z.string().nullish(),
  story_url: z.string().nullish(),
  parent_id: z.number().nullish(),
});
export type HnHit = z.output<typeof hitSchema>;

/** Hits are checked one by one, so one odd hit cannot sink the page. */
export const searchResponseSchema = z.looseObject({
  hits: z.array(z.unknown()),
  page: z.number(),
  nbPages: z.number(),
  nbHits: z.number().nullish(),
});
