/**
 * Every notifier plugin, listed once. Adding a notifier = one folder under src/notifiers/ plus
 * one line here (registry.test.ts fails when a folder is not listed). Plugins load their SDKs
 * lazily, so importing this registry stays cheap for `earshot check`.
 */
import { emailNotifier } from './email/index.js';
import { slackNotifier } from './slack/index.js';
import type { NotifierPlugin } from './types.js';

export const notifierPlugins: readonly NotifierPlugin[] = [slackNotifier, emailNotifier];

export function notifierPlugin(type: string): NotifierPlugin | undefined {
  return notifierPlugins.find((plugin) => plugin.type === type);
}
