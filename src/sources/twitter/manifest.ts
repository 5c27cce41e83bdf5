/** The `twitter` source as the registry knows it; the polling code (index.ts) loads on first poll. */
import type { SourceManifest } from '../types.js';
import { twitterSettingsSchema, type TwitterConfig } from './schema.js';

export const twitterManifest: SourceManifest<TwitterConfig> = {
  type: 'twitter',
  description: 'Twitter/X recent search (X API v2, app bearer token)',
  label: 'Twitter/X',
  name: 'Twitter/X',
  reachUnit: 'followers',
  schema: twitterSettingsSchema,
  defaultEveryMs: 2 * 60_000,
  requiredEnv: () => ['TWITTER_BEARER_TOKEN'],
  env: {
    about: 'Twitter/X API v2 app bearer token (a plan with search access)',
    vars: [{ name: 'TWITTER_BEARER_TOKEN' }, { name: 'TWITTER_API_URL', example: 'https://api.twitter.com' }],
  },
  example: `  # Twitter/X recent search (API v2). Needs TWITTER_BEARER_TOKEN (a plan with search access).
  - type: twitter
    query: '"example inc" -is:retweet lang:en'   # X API v2 search query
    every: 2m
`,
  load: async () => (await import('./index.js')).twitterSource,
};
