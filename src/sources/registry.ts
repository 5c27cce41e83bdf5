/**
 * The source registry: one line per source type. Adding a source means adding its folder under
 * src/sources/ (with a `manifest.ts`) and its line here; registry.test.ts fails when a folder is
 * not listed. Everything else (the list of types, labels, reach units, the config schemas, the
 * CLI help, `earshot init`'s template and .env.example) is derived from these manifests.
 *
 * A manifest holds what loading the config needs (the settings schema, built on first use, the
 * default interval, the credentials) and loads the rest of the plugin (HTTP client, cursors,
 * mapping, their schemas) on the type's first poll: `earshot check` and every command that only
 * reads the config must start fast, and most deployments use a few of the types.
 */
import { blueskyManifest } from './bluesky/manifest.js';
import { hackernewsManifest } from './hackernews/manifest.js';
import { mastodonManifest } from './mastodon/manifest.js';
import { redditManifest } from './reddit/manifest.js';
import { rssManifest } from './rss/manifest.js';
import { twitterManifest } from './twitter/manifest.js';
import type { PollResult, SourceContext, SourceManifest, SourcePlugin } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each manifest has its own settings type
type AnyManifest = SourceManifest<any>;

/** Every source type, in the order help text, `earshot init` and .env.example list them. */
export const sourceManifests: readonly AnyManifest[] = [
  rssManifest,
  redditManifest,
  twitterManifest,
  hackernewsManifest,
  blueskyManifest,
  mastodonManifest,
];

/** The registered source types, e.g. for `type:` in sources/*.yaml and `match.source` in rules. */
export const SOURCE_TYPES = sourceManifests.map((m) => m.type) as [string, ...string[]];

export function sourceManifest(type: string): AnyManifest | undefined {
  return sourceManifests.find((m) => m.type === type);
}

/** 'Reddit', 'a feed'; the type itself for a type this version does not know (old data). */
export function sourceLabel(type: string): string {
  return sourceManifest(type)?.label ?? type;
}

/** What `reach` counts for mentions of this source type: 'followers', 'karma', 'points', 'reach'. */
export function reachUnit(type: string): string {
  return sourceManifest(type)?.reachUnit ?? 'reach';
}

/** The plugin as the pipeline uses it: the manifest's fields now, the polling code on first poll. */
function lazyPlugin(manifest: AnyManifest): SourcePlugin<Record<string, unknown>> {
  let loaded: Promise<SourcePlugin<Record<string, unknown>>> | undefined;
  return {
    type: manifest.type,
    description: manifest.description,
    defaultEveryMs: manifest.defaultEveryMs,
    requiredEnv: manifest.requiredEnv,
    get schema() {
      return manifest.schema();
    },
    async poll(ctx: SourceContext<Record<string, unknown>>): Promise<PollResult> {
      return (await (loaded ??= manifest.load())).poll(ctx);
    },
  };
}

export const sourcePlugins: readonly SourcePlugin<Record<string, unknown>>[] = sourceManifests.map(lazyPlugin);

export function sourcePlugin(type: string): SourcePlugin<Record<string, unknown>> | undefined {
  return sourcePlugins.find((p) => p.type === type);
}
