/**
 * The source registry: one entry per source type. Adding a source means adding its folder under
 * src/sources/ and one entry here (registry.test.ts fails when a folder is not listed, and when
 * an entry says something else than the plugin itself).
 *
 * An entry holds what loading the config needs (the settings schema, built on first use, the
 * default interval, the credentials) and loads the rest of the plugin (HTTP client, cursors,
 * mapping, their schemas) on the type's first poll: `earshot check` and every command that only
 * reads the config must start fast, and most deployments use a few of the six types.
 */
import { blueskySettingsSchema } from './bluesky/schema.js';
import { hackernewsSettingsSchema } from './hackernews/schema.js';
import { mastodonSettingsSchema, type MastodonConfig } from './mastodon/schema.js';
import { redditSettingsSchema } from './reddit/schema.js';
import { rssSettingsSchema } from './rss/schema.js';
import { twitterSettingsSchema } from './twitter/schema.js';
import type { PollResult, SourceContext, SourcePlugin } from './types.js';

type Plugin = SourcePlugin<any>;

/** The plugin, poll code included. */
export type PluginLoader = () => Promise<Plugin>;

export const sourceLoaders: Readonly<Record<string, PluginLoader>> = {
  rss: async () => (await import('./rss/index.js')).rssSource,
  reddit: async () => (await import('./reddit/index.js')).redditSource,
  twitter: async () => (await import('./twitter/index.js')).twitterSource,
  hackernews: async () => (await import('./hackernews/index.js')).hackernewsSource,
  bluesky: async () => (await import('./bluesky/index.js')).blueskySource,
  mastodon: async () => (await import('./mastodon/index.js')).mastodonSource,
};

interface Manifest extends Omit<Plugin, 'poll' | 'schema'> {
  /** Builds the settings schema on first use: a deployment validates only the types it uses. */
  schema: () => Plugin['schema'];
}

function lazyPlugin(manifest: Manifest): Plugin {
  const load = sourceLoaders[manifest.type]!;
  let loaded: Promise<Plugin> | undefined;
  const { schema, ...rest } = manifest;
  return {
    ...rest,
    get schema() {
      return schema();
    },
    async poll(ctx: SourceContext<unknown>): Promise<PollResult> {
      return (await (loaded ??= load())).poll(ctx);
    },
  };
}

export const sourcePlugins: readonly Plugin[] = [
  lazyPlugin({
    type: 'rss',
    description: 'RSS, Atom, RDF or JSON feed (news searches, blogs, subreddit and Mastodon feeds)',
    schema: rssSettingsSchema,
    defaultEveryMs: 15 * 60_000,
    requiredEnv: () => [],
  }),
  lazyPlugin({
    type: 'reddit',
    description: 'Reddit search (posts, optionally comments) via the official API with an app-only OAuth token',
    schema: redditSettingsSchema,
    defaultEveryMs: 5 * 60_000,
    requiredEnv: () => ['REDDIT_CLIENT_ID', 'REDDIT_CLIENT_SECRET', 'REDDIT_USER_AGENT'],
  }),
  lazyPlugin({
    type: 'twitter',
    description: 'Twitter/X recent search (X API v2, app bearer token)',
    schema: twitterSettingsSchema,
    defaultEveryMs: 2 * 60_000,
    requiredEnv: () => ['TWITTER_BEARER_TOKEN'],
  }),
  lazyPlugin({
    type: 'hackernews',
    description: 'Hacker News stories and comments via the Algolia HN Search API (no credentials)',
    schema: hackernewsSettingsSchema,
    defaultEveryMs: 10 * 60_000,
    requiredEnv: () => [],
  }),
  lazyPlugin({
    type: 'bluesky',
    description: 'Bluesky post search (app.bsky.feed.searchPosts, app password)',
    schema: blueskySettingsSchema,
    defaultEveryMs: 5 * 60_000,
    requiredEnv: () => ['BLUESKY_HANDLE', 'BLUESKY_APP_PASSWORD'],
  }),
  lazyPlugin({
    type: 'mastodon',
    description: 'Mastodon hashtag timeline (no token) or status search (MASTODON_ACCESS_TOKEN)',
    schema: mastodonSettingsSchema,
    defaultEveryMs: 5 * 60_000,
    requiredEnv: (config: MastodonConfig) => (config.query !== undefined ? ['MASTODON_ACCESS_TOKEN'] : []),
  }),
];

export function sourcePlugin(type: string): SourcePlugin<Record<string, unknown>> | undefined {
  return sourcePlugins.find((p) => p.type === type) as SourcePlugin<Record<string, unknown>> | undefined;
}
