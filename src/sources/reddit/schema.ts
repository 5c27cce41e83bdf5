/**
 * Reddit: the user's source settings (strict). The schemas of Reddit's JSON live in payload.ts,
 * loaded with the polling code only.
 */
import { z } from 'zod';
import { once } from '../../core/lazy.js';

const SUBREDDIT_NAME = /^[A-Za-z0-9][A-Za-z0-9_]{1,20}$/;

function build() {
  return z.strictObject({
    /** Reddit search query (Reddit's own syntax: words, "phrases", OR, NOT). */
    search: z.string().trim().min(1, 'search must not be empty: the words to look for on Reddit'),
    /** Subreddit names without r/; omitted = all of Reddit. */
    subreddits: z
      .array(
        z
          .string()
          .trim()
          .transform((name) => name.replace(/^\/?r\//i, ''))
          .refine((name) => SUBREDDIT_NAME.test(name), {
            message: 'a subreddit name is 2-21 letters, digits or _, without r/ (e.g. devops)',
          }),
      )
      .min(1, 'subreddits must list at least one name, or be left out to search all of Reddit')
      .optional(),
    /** Also read comments (from the subreddits' newest-comments stream, filtered by the search words). */
    include_comments: z.boolean().default(false),
  });
}

export type RedditConfig = z.output<ReturnType<typeof build>>;

/** The settings schema, built on first use (see `once`). */
export const redditSettingsSchema = once(build);
