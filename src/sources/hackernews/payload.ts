/**
 * Hacker News: the Algolia search response (loose: only the fields earshot maps are checked).
 * Apart from the settings schema (schema.ts) so `earshot check` does not build it.
 */
import { z } from 'zod';

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
