import { notifierPlugin } from '../notifiers/registry.js';
import { missingReferencesHint, resolveTarget } from '../notifiers/target-env.js';

/** Why a notifier cannot send to `target` (missing credentials, an unset `${NAME}`), or null when it can. */
export function notifierProblem(env: Record<string, string | undefined>, type: string, target?: string): string | null {
  const plugin = notifierPlugin(type);
  if (!plugin) return `notifier ${type} is not available`;
  const missing = plugin.requiredEnv.filter((name) => !env[name]);
  if (missing.length) return `${type} is not configured: set ${missing.join(', ')}`;
  const resolved = target === undefined ? null : resolveTarget(target, env);
  return resolved && !resolved.ok ? `${target}: ${missingReferencesHint(resolved.missing)}` : null;
}
