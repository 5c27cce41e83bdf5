/**
 * Bluesky: the `sources:` entry (strict). The XRPC payload schemas live in payload.ts, loaded
 * with the polling code only.
 */
import { z } from 'zod';

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

let built: ReturnType<typeof build> | undefined;

/**
 * The settings schema, built on first use: a deployment validates only the source types it
 * uses, so `earshot check` does not build the others.
 */
export function blueskySettingsSchema(): ReturnType<typeof build> {
  return (built ??= build());
}
