/** The `rss` source as the registry knows it; the polling code (index.ts) loads on first poll. */
import type { SourceManifest } from '../types.js';
import { rssSettingsSchema, type RssConfig } from './schema.js';

export const rssManifest: SourceManifest<RssConfig> = {
  type: 'rss',
  description: 'RSS, Atom, RDF or JSON feed (news searches, blogs, subreddit and Mastodon feeds)',
  label: 'a feed',
  name: 'RSS/Atom/JSON feeds',
  reachUnit: 'reach',
  schema: rssSettingsSchema,
  defaultEveryMs: 15 * 60_000,
  requiredEnv: () => [],
  env: null,
  example: `  # RSS, Atom, RDF or JSON Feed: news searches, blogs, forums. No credentials.
  - type: rss
    url: https://news.google.com/rss/search?q=%22example+inc%22&hl=en-US&gl=US&ceid=US:en
    every: 15m
    # alert_backfill: 1h        # first poll: also alert on mentions from the last hour
`,
  load: async () => (await import('./index.js')).rssSource,
};
