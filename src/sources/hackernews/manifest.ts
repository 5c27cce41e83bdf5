/** The `hackernews` source as the registry knows it; the polling code (index.ts) loads on first poll. */
import type { SourceManifest } from '../types.js';
import { hackernewsSettingsSchema, type HackernewsConfig } from './schema.js';

export const DEFAULT_HN_API_URL = 'https://hn.algolia.com/api/v1';

export const hackernewsManifest: SourceManifest<HackernewsConfig> = {
  type: 'hackernews',
  description: 'Hacker News stories and comments via the Algolia HN Search API (no credentials)',
  label: 'Hacker News',
  name: 'Hacker News',
  reachUnit: 'points',
  schema: hackernewsSettingsSchema,
  defaultEveryMs: 10 * 60_000,
  requiredEnv: () => [],
  env: { about: '', vars: [{ name: 'HN_API_URL', example: DEFAULT_HN_API_URL }] },
  example: `  # Hacker News stories and comments (Algolia HN Search). No credentials.
  - type: hackernews
    query: example inc
    # tags: [story, comment]    # any of story, comment, ask_hn, show_hn, poll, front_page
    every: 10m
`,
  load: async () => (await import('./index.js')).hackernewsSource,
};
