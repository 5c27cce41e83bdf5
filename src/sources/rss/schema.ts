/**
 * The type-specific fields of a `type: rss` entry in sources/*.yaml. The loader adds the common
 * ones (type, every, alert_backfill, id); unknown keys are rejected so a typo is reported.
 */
import { z } from 'zod';
import { once } from '../../core/lazy.js';

export interface RssConfig {
  /** The feed's address: RSS, Atom, RDF or JSON Feed, over http or https. */
  url: string;
}

function build(): z.ZodType<RssConfig> {
  return z.strictObject({
    url: z.url({
      protocol: /^https?$/,
      error: (issue) =>
        issue.input === undefined
          ? "url is required: the feed's address, e.g. https://example.com/feed.xml"
          : 'url must be an http or https URL of a feed, e.g. https://example.com/feed.xml',
    }),
  });
}

/** The settings schema, built on first use (see `once`). */
export const rssSettingsSchema = once(build);
