/** The `reddit` source as the registry knows it; the polling code (index.ts) loads on first poll. */
import type { SourceManifest } from '../types.js';
import { redditSettingsSchema, type RedditConfig } from './schema.js';

/** Application-only OAuth: all three are needed (the user agent is Reddit's rule, not ours). */
export const REDDIT_REQUIRED_ENV = ['REDDIT_CLIENT_ID', 'REDDIT_CLIENT_SECRET', 'REDDIT_USER_AGENT'] as const;

export const redditManifest: SourceManifest<RedditConfig> = {
  type: 'reddit',
  description: 'Reddit search (posts, optionally comments) via the official API with an app-only OAuth token',
  label: 'Reddit',
  name: 'Reddit',
  reachUnit: 'karma',
  schema: redditSettingsSchema,
  defaultEveryMs: 5 * 60_000,
  requiredEnv: () => [...REDDIT_REQUIRED_ENV],
  env: {
    about: 'Reddit application-only OAuth (https://www.reddit.com/prefs/apps)',
    vars: [
      ...REDDIT_REQUIRED_ENV.map((name) => ({ name })),
      { name: 'REDDIT_API_URL', example: 'https://oauth.reddit.com' },
      { name: 'REDDIT_AUTH_URL', example: 'https://www.reddit.com' },
    ],
  },
  example: `  # Reddit search (posts; optionally comments). Needs REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET
  # and REDDIT_USER_AGENT (an app at https://www.reddit.com/prefs/apps).
  - type: reddit
    search: '"example inc" OR exampleinc'   # Reddit search syntax
    # subreddits: [devops, sysadmin]        # omitted: all of Reddit
    # include_comments: true                # also read comments (default false)
    every: 5m
`,
  load: async () => (await import('./index.js')).redditSource,
};
