/** The `email` notifier as the registry knows it; the sending code (index.ts) loads on first send. */
import type { NotifierManifest } from '../types.js';

const EMAIL_ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]{2,}$/;

export function validateEmailTarget(target: string): string | null {
  if (target.length <= 254 && EMAIL_ADDRESS.test(target) && !/\.\./.test(target)) return null;
  const shown = target.length > 60 ? `${target.slice(0, 59)}…` : target;
  return `"${shown.replace(/[\r\n]/g, ' ')}" is not an email address: write one address like pr-team@example.com`;
}

export const emailManifest: NotifierManifest = {
  type: 'email',
  description: 'Email alerts over SMTP (multipart: plain text and HTML)',
  label: 'email',
  requiredEnv: ['SMTP_URL', 'EMAIL_FROM'],
  env: { about: 'Email alerts and digests', vars: [{ name: 'SMTP_URL' }, { name: 'EMAIL_FROM' }] },
  target: { placeholder: 'address', many: true },
  validateTarget: validateEmailTarget,
  example: 'email: pr-team@example.com        # needs SMTP_URL and EMAIL_FROM',
  load: async () => (await import('./index.js')).createEmailNotifier,
};
