/** The `discord` notifier as the registry knows it; the sending code (index.ts) loads on first send. */
import type { NotifierManifest } from '../types.js';
import { webhookUrlProblem } from '../url-secret.js';

const EXAMPLE = 'https://discord.com/api/webhooks/123456789012345678/TOKEN';
/** /api/webhooks/<id>/<token>, optionally /api/v10/webhooks/... */
const WEBHOOK_PATH = /^\/api(\/v\d+)?\/webhooks\/\d+\/[A-Za-z0-9_-]+\/?$/;

export function validateDiscordTarget(target: string): string | null {
  const problem = webhookUrlProblem(target, 'a Discord target', EXAMPLE);
  if (problem) return problem;
  if (!WEBHOOK_PATH.test(new URL(target).pathname)) {
    return `this is not a Discord webhook URL: copy it from the channel's Integrations → Webhooks; it looks like ${EXAMPLE}`;
  }
  return null;
}

export const discordManifest: NotifierManifest = {
  type: 'discord',
  description: 'Discord channel messages via a webhook URL (content and embeds; never pings anyone)',
  label: 'Discord',
  requiredEnv: [],
  env: {
    about: 'Discord: the channel\'s webhook URL (Integrations → Webhooks), read by `discord: ${DISCORD_WEBHOOK_URL}`',
    vars: [{ name: 'DISCORD_WEBHOOK_URL', example: EXAMPLE }],
  },
  // Discord allows a channel about 30 webhook messages a minute.
  minIntervalMs: 2000,
  target: { placeholder: 'URL', envExample: 'DISCORD_WEBHOOK_URL' },
  validateTarget: validateDiscordTarget,
  // The token is part of every Discord webhook URL.
  secretInTarget: (target) => validateDiscordTarget(target) === null,
  example: 'discord: ${DISCORD_WEBHOOK_URL}  # a Discord webhook URL, here from .env',
  load: async () => (await import('./index.js')).createDiscordNotifier,
};
