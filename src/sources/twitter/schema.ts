/**
 * Twitter/X: the `sources:` entry (strict). The X API payload schemas live in payload.ts, loaded
 * with the polling code only.
 */
import { z } from 'zod';
import { once } from '../../core/lazy.js';

function build() {
  return z
    .object({
      query: z
        .string({ error: 'query is required: an X API v2 search query, e.g. \'"acme cloud" -is:retweet lang:en\'' })
        .trim()
        .min(1, 'query must not be empty: give an X API v2 search query, e.g. \'"acme cloud" -is:retweet\''),
    })
    .strict();
}

export type TwitterConfig = z.infer<ReturnType<typeof build>>;

/** The settings schema, built on first use (see `once`). */
export const twitterSettingsSchema = once(build);
