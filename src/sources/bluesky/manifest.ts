/** The `bluesky` source as the registry knows it; the polling code (index.ts) loads on first poll. */
import type { SourceManifest } from '../types.js';
import { blueskySettingsSchema, type BlueskyConfig } from './schema.js';

export const blueskyManifest: SourceManifest<BlueskyConfig> = {
  type: 'bluesky',
  description: 'Bluesky post search (app.bsky.feed.searchPosts, app password)',
  label: 'Bluesky',
  name: 'Bluesky',
  reachUnit: 'followers',
  schema: blueskySettingsSchema,
  defaultEveryMs: 5 * 60_000,
  requiredEnv: () => ['BLUESKY_HANDLE', 'BLUESKY_APP_PASSWORD'],
  env: {
    about: 'Bluesky app password login',
    vars: [{ name: 'BLUESKY_HANDLE' }, { name: 'BLUESKY_APP_PASSWORD' }, { name: 'BLUESKY_SERVICE_URL', example: 'https://bsky.social' }],
  },
  example: `  # Bluesky post search. Needs BLUESKY_HANDLE and BLUESKY_APP_PASSWORD (an app password).
  - type: bluesky
    query: '"example inc"'
    every: 5m
`,
  load: async () => (await import('./index.js')).blueskySource,
};
