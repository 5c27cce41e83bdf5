/** The `mastodon` source as the registry knows it; the polling code (index.ts) loads on first poll. */
import type { SourceManifest } from '../types.js';
import { mastodonSettingsSchema, type MastodonConfig } from './schema.js';

export const mastodonManifest: SourceManifest<MastodonConfig> = {
  type: 'mastodon',
  description: 'Mastodon hashtag timeline (no token) or status search (MASTODON_ACCESS_TOKEN)',
  label: 'Mastodon',
  name: 'Mastodon',
  reachUnit: 'followers',
  schema: mastodonSettingsSchema,
  defaultEveryMs: 5 * 60_000,
  // Hashtag timelines are public; only status search needs a token.
  requiredEnv: (config) => (config.query !== undefined ? ['MASTODON_ACCESS_TOKEN'] : []),
  env: {
    about: 'Mastodon: only needed for query search (hashtag timelines need none)',
    vars: [{ name: 'MASTODON_ACCESS_TOKEN' }],
  },
  example: `  # Mastodon: a hashtag timeline (no token), or \`query: ...\` full-text search instead
  # (needs MASTODON_ACCESS_TOKEN). Give exactly one of hashtag or query.
  - type: mastodon
    instance: mastodon.social
    hashtag: exampleinc
    every: 5m
`,
  load: async () => (await import('./index.js')).mastodonSource,
};
