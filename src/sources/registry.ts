/**
 * The source registry: one line per source type. Adding a source means adding its folder under
 * src/sources/ and one line here (registry.test.ts fails when a folder is not listed).
 */
import type { SourcePlugin } from './types.js';
import { blueskySource } from './bluesky/index.js';
import { hackernewsSource } from './hackernews/index.js';
import { mastodonSource } from './mastodon/index.js';
import { redditSource } from './reddit/index.js';
import { rssSource } from './rss/index.js';
import { twitterSource } from './twitter/index.js';

export const sourcePlugins: readonly SourcePlugin<any>[] = [
  rssSource,
  redditSource,
  twitterSource,
  hackernewsSource,
  blueskySource,
  mastodonSource,
];

export function sourcePlugin(type: string): SourcePlugin<Record<string, unknown>> | undefined {
  return sourcePlugins.find((p) => p.type === type) as SourcePlugin<Record<string, unknown>> | undefined;
}
