/**
 * Mastodon: the `sources:` entry (strict: `instance` and exactly one of `hashtag` or `query`).
 * The Status schema and mapping live in payload.ts, loaded with the polling code only.
 */
import { z } from 'zod';
import { once } from '../../core/lazy.js';

/** A hashtag as Mastodon allows it: letters, digits, underscores (and the middle dot), no '#'. */
const HASHTAG = /^[\p{L}\p{N}_\u00b7]+$/u;

/** `mastodon.social`, `https://mastodon.social` or `http://127.0.0.1:3000` -> the instance origin. */
export function instanceOrigin(value: string): string | null {
  const raw = value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  try {
    const url = new URL(withScheme);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    if (!url.hostname || /\s/.test(raw)) return null;
    return url.origin;
  } catch {
    return null;
  }
}

function build() {
  return z
    .object({
      instance: z
        .string({ error: 'instance is required: the Mastodon server to ask, e.g. mastodon.social' })
        .trim()
        .refine((v) => instanceOrigin(v) !== null, 'instance must be a host name or an http(s) URL, e.g. mastodon.social or https://mastodon.social'),
      hashtag: z
        .string()
        .trim()
        .transform((v) => v.replace(/^#/, ''))
        .refine((v) => HASHTAG.test(v), 'hashtag must be one hashtag without spaces, e.g. acmecloud or #acmecloud')
        .optional(),
      query: z.string().trim().min(1, 'query must not be empty').optional(),
    })
    .strict()
    .refine((c) => (c.hashtag === undefined) !== (c.query === undefined), {
      message: 'give exactly one of `hashtag` (a hashtag timeline, no token needed) or `query` (full-text search, needs MASTODON_ACCESS_TOKEN)',
      path: ['hashtag'],
    });
}

export type MastodonConfig = z.infer<ReturnType<typeof build>>;

/** The settings schema, built on first use (see `once`). */
export const mastodonSettingsSchema = once(build);
