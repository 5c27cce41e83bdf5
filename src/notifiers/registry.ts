/**
 * Every notifier, listed once. Adding a notifier = one folder under src/notifiers/ (with a
 * `manifest.ts`) plus its line here; registry.test.ts fails when a folder is not listed. The
 * notify and budget schemas of rules/*.yaml, `earshot init`'s template, .env.example and the help
 * text are derived from these manifests. The sending code (SDKs, renderers) loads on the first
 * send, so importing this registry stays cheap for `earshot check`.
 */
import { discordManifest } from './discord/manifest.js';
import { emailManifest } from './email/manifest.js';
import { slackManifest } from './slack/manifest.js';
import { teamsManifest } from './teams/manifest.js';
import type { Env, Notifier, NotifierManifest, NotifierPlugin } from './types.js';
import { webhookManifest } from './webhook/manifest.js';

/** Every notifier type, in the order help text, `earshot init` and .env.example list them. */
export const notifierManifests: readonly NotifierManifest[] = [
  slackManifest,
  emailManifest,
  webhookManifest,
  discordManifest,
  teamsManifest,
];

export const NOTIFIER_TYPES = notifierManifests.map((m) => m.type) as [string, ...string[]];

export function notifierManifest(type: string): NotifierManifest | undefined {
  return notifierManifests.find((m) => m.type === type);
}

/** A notifier that loads its sending code on the first send (or never, when nothing is sent). */
function lazyNotifier(manifest: NotifierManifest, env: Env): Notifier {
  let created: Promise<Notifier> | undefined;
  const real = () => (created ??= manifest.load().then((create) => create(env)));
  return {
    type: manifest.type,
    send: async (target, alert, options) => (await real()).send(target, alert, options),
    async verify(targets, options) {
      const notifier = await real();
      if (notifier.verify) return notifier.verify(targets, options);
      return [{ subject: manifest.type, status: 'unchecked', message: 'no online check for this notifier: `earshot notify test` sends a sample alert' }];
    },
    async close() {
      if (created) await (await created).close?.();
      created = undefined;
    },
  };
}

function pluginOf(manifest: NotifierManifest): NotifierPlugin {
  const { load: _load, ...fields } = manifest;
  return { ...fields, create: (env) => lazyNotifier(manifest, env) };
}

export const notifierPlugins: readonly NotifierPlugin[] = notifierManifests.map(pluginOf);

export function notifierPlugin(type: string): NotifierPlugin | undefined {
  return notifierPlugins.find((plugin) => plugin.type === type);
}
