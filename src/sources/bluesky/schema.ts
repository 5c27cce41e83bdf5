/**
 * Bluesky: the `sources:` entry (strict). The XRPC payload schemas live in payload.ts, loaded
 * with the polling code only.
 */
import { z } from 'zod';
import { once } from '../../core/lazy.js';

function build() {
  return z
    .object({
      query: z
        .string({ error: 'query is required: the Bluesky search query, e.g. "acme cloud" or acmecloud' })
        .trim()
        .min(1, 'query must not be empty: give the Bluesky search query, e.g. "acme cloud"'),
    })
    .strict();
}

export type BlueskyConfig = z.infer<ReturnType<typeof build>>;

/** The settings schema, built on first use (see `once`). */
export const blueskySettingsSchema = once(build);
