import type { Config } from '../config/load.js';
import { notifierPlugin } from '../notifiers/registry.js';

/** Why a notifier cannot send (missing credentials), or null when it can. */
export function notifierProblem(config: Config, type: string): string | null {
  const plugin = notifierPlugin(type);
  if (!plugin) return `notifier ${type} is not available`;
  const missing = plugin.requiredEnv.filter((name) => !config.env[name]);
  return missing.length ? `${type} is not configured: set ${missing.join(', ')}` : null;
}
