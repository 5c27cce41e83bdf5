/** The `webhook` notifier as the registry knows it; the sending code (index.ts) loads on first send. */
import type { NotifierManifest } from '../types.js';
import { urlHasCredential, webhookUrlProblem } from '../url-secret.js';

export const WEBHOOK_SECRET_ENV = 'EARSHOT_WEBHOOK_SECRET';

export function validateWebhookTarget(target: string): string | null {
  return webhookUrlProblem(target, 'a webhook target', 'https://hooks.example.com/earshot');
}

export const webhookManifest: NotifierManifest = {
  type: 'webhook',
  description: 'JSON POST of the alert to any URL, signed with HMAC-SHA256 (X-Earshot-Signature)',
  label: 'webhooks',
  requiredEnv: [WEBHOOK_SECRET_ENV],
  env: {
    about: 'Webhook alerts: the key that signs each POST (X-Earshot-Signature: sha256=<HMAC-SHA256 of the body>)',
    vars: [{ name: WEBHOOK_SECRET_ENV }, { name: 'OPS_WEBHOOK_URL', example: 'https://hooks.example.com/earshot' }],
  },
  target: { placeholder: 'URL', envExample: 'OPS_WEBHOOK_URL' },
  validateTarget: validateWebhookTarget,
  secretInTarget: urlHasCredential,
  example: 'webhook: ${OPS_WEBHOOK_URL}    # a URL, here from .env; needs EARSHOT_WEBHOOK_SECRET',
  load: async () => (await import('./index.js')).createWebhookNotifier,
};
