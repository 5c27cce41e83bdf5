/** The `teams` notifier as the registry knows it; the sending code (index.ts) loads on first send. */
import type { NotifierManifest } from '../types.js';
import { urlHasCredential, webhookUrlProblem } from '../url-secret.js';

const EXAMPLE = 'https://prod-00.westus.logic.azure.com/workflows/…/triggers/manual/paths/invoke?api-version=2016-06-01&sig=…';

export function validateTeamsTarget(target: string): string | null {
  return webhookUrlProblem(target, 'a Teams target', 'the workflow URL Power Automate shows for "When a Teams webhook request is received"');
}

export const teamsManifest: NotifierManifest = {
  type: 'teams',
  description: 'Microsoft Teams channel messages (Adaptive Card) via a Power Automate / Workflows webhook URL',
  label: 'Microsoft Teams',
  requiredEnv: [],
  env: {
    about: 'Microsoft Teams: the Workflows webhook URL ("Send webhook alerts to a channel"), read by `teams: ${TEAMS_WEBHOOK_URL}`',
    vars: [{ name: 'TEAMS_WEBHOOK_URL', example: EXAMPLE }],
  },
  minIntervalMs: 1000,
  target: { placeholder: 'URL', envExample: 'TEAMS_WEBHOOK_URL' },
  validateTarget: validateTeamsTarget,
  // Workflow URLs carry their key in `sig=`; old connector URLs in the path.
  secretInTarget: urlHasCredential,
  example: 'teams: ${TEAMS_WEBHOOK_URL}    # a Teams Workflows webhook URL, here from .env',
  load: async () => (await import('./index.js')).createTeamsNotifier,
};
