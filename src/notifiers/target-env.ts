/**
 * Notify targets written `${NAME}`: the value comes from the environment (.env or the process),
 * so that webhook URLs, which are secrets, stay out of git. A target may also embed references
 * (`https://hooks.example.com/${HOOK_TOKEN}`). The outbox, logs and `earshot status` keep the
 * target as written; it is resolved only when config is loaded (to validate it) and just before
 * sending, and the resolved value is registered as a secret so that no log line can show it.
 */
import { registerSecret } from '../core/log.js';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The environment variables a target reads, in order, without repeats. */
export function envReferences(target: string): string[] {
  return [...new Set([...target.matchAll(REFERENCE)].map((m) => m[1]!))];
}

export type ResolvedTarget = { ok: true; value: string; fromEnv: boolean } | { ok: false; missing: string[] };

/** The target with every `${NAME}` replaced from `env`, or the names that are not set. */
export function resolveTarget(target: string, env: Record<string, string | undefined>): ResolvedTarget {
  const names = envReferences(target);
  if (names.length === 0) return { ok: true, value: target, fromEnv: false };
  const missing = names.filter((name) => !env[name]?.trim());
  if (missing.length > 0) return { ok: false, missing };
  const value = target.replace(REFERENCE, (_, name: string) => env[name]!.trim());
  registerSecret(value);
  return { ok: true, value, fromEnv: true };
}

/** 'set DISCORD_WEBHOOK_URL' / 'set A and B', for messages about missing references. */
export function missingReferencesHint(missing: readonly string[]): string {
  const names = missing.length > 1 ? `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)}` : missing.join('');
  return `${names} ${missing.length > 1 ? 'are' : 'is'} not set: set ${missing.length > 1 ? 'them' : 'it'} in .env or the environment`;
}
