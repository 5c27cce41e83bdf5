/**
 * A fingerprint of a notifier's settings: the environment variables its manifest says it reads
 * (token, endpoint, sender). A delivery that failed for good records it, so that a changed token
 * or endpoint can offer to retry what failed before the change. One-way and truncated: the
 * database never holds a credential.
 */
import { createHash } from 'node:crypto';
import { notifierManifest } from './registry.js';
import type { Env } from './types.js';

export function notifierSettingsFingerprint(type: string, env: Env): string | null {
  const manifest = notifierManifest(type);
  if (!manifest) return null;
  const names = [...new Set([...manifest.requiredEnv, ...(manifest.env?.vars.map((v) => v.name) ?? [])])].sort();
  const hash = createHash('sha256').update(`earshot notifier settings\n${type}\n`);
  for (const name of names) hash.update(`${name}=${env[name] ?? ''}\n`);
  return hash.digest('hex').slice(0, 16);
}
