/** The `slack` notifier as the registry knows it; the sending code (index.ts) loads on first send. */
import type { NotifierManifest } from '../types.js';

const CHANNEL_NAME = /^#[a-z0-9][a-z0-9_-]{0,79}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

function truncateForMessage(text: string): string {
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

export function validateSlackTarget(target: string): string | null {
  if (CHANNEL_NAME.test(target) || CHANNEL_ID.test(target)) return null;
  if (/^[a-z0-9][a-z0-9_-]{0,79}$/.test(target)) return `Slack channel "${target}" needs a leading #: write "#${target}"`;
  return `"${truncateForMessage(target)}" is not a Slack channel: use "#channel-name" (lowercase letters, digits, - and _, at most 80) or a channel id like C0123ABCD`;
}

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

export const slackManifest: NotifierManifest = {
  type: 'slack',
  description: 'Slack messages via chat.postMessage (bot token)',
  label: 'Slack',
  requiredEnv: ['SLACK_BOT_TOKEN'],
  env: {
    about: 'Slack bot token (chat:write scope); invite the bot to the alert channels.',
    vars: [
      { name: 'SLACK_BOT_TOKEN' },
      { name: 'SLACK_API_URL', example: DEFAULT_SLACK_API_URL },
      {
        name: 'SLACK_SIGNING_SECRET',
        example: '',
        comment: "Buttons on mention alerts, over HTTP: the app's Signing Secret (clicks go to https://YOUR-HOST/slack/actions, earshot run --http)",
      },
      { name: 'SLACK_APP_TOKEN', example: '', comment: 'or over Socket Mode (no public URL): an app-level token, xapp-..., with connections:write' },
    ],
  },
  // Slack's documented limit for chat.postMessage: about one message per second per channel.
  minIntervalMs: 1000,
  target: { placeholder: '"#channel"' },
  validateTarget: validateSlackTarget,
  example: 'slack: "#brand-alerts"  # needs SLACK_BOT_TOKEN; invite the bot to the channel',
  load: async () => (await import('./index.js')).createSlackNotifier,
};
