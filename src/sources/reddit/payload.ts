/**
 * Reddit: the foreign JSON we read (loose: Reddit adds fields all the time; only what earshot
 * maps is checked). Apart from the settings schema (schema.ts) so `earshot check` does not build it.
 */
import { z } from 'zod';

export const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1).optional(),
  token_type: z.string().optional(),
  expires_in: z.number().positive().optional(),
  error: z.string().optional(),
});

const thingData = z.looseObject({
  name: z.string().regex(/^t[13]_[0-9a-z]+$/),
  id: z.string(),
  created_utc: z.number(),
  author: z.string().nullish(),
  subreddit: z.string().nullish(),
  permalink: z.string().nullish(),
  score: z.number().nullish(),
});

export const postDataSchema = thingData.extend({
  title: z.string(),
  selftext: z.string().nullish(),
  selftext_html: z.string().nullish(),
  is_self: z.boolean().nullish(),
  url: z.string().nullish(),
  url_overridden_by_dest: z.string().nullish(),
  num_comments: z.number().nullish(),
  upvote_ratio: z.number().nullish(),
});
export type RedditPost = z.output<typeof postDataSchema>;

export const commentDataSchema = thingData.extend({
  body: z.string().nullish(),
  body_html: z.string().nullish(),
  link_id: z.string().nullish(),
  link_title: z.string().nullish(),
  link_url: z.string().nullish(),
  link_permalink: z.string().nullish(),
});
export type RedditComment = z.output<typeof commentDataSchema>;

/** A Listing; children are checked one by one so one odd item cannot sink the page. */
export const listingSchema = z.looseObject({
  kind: z.literal('Listing'),
  data: z.looseObject({
    after: z.string().nullish(),
    before: z.string().nullish(),
    children: z.array(z.looseObject({ kind: z.string(), data: z.unknown() })),
  }),
});
export type RedditListing = z.output<typeof listingSchema>;
