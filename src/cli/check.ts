/** `earshot check`: validates sources/, rules/ and the environment; exit 1 on any error. */
import { loadConfig, type Config } from '../config/load.js';
import { formatProblem, hasErrors } from '../config/problems.js';
import { plural } from '../core/text.js';
import type { Context } from './context.js';

export interface CheckOptions {
  strict?: boolean;
  quiet?: boolean;
  /** Also ask each notifier and source whether its credentials and targets work (network). */
  online?: boolean;
}

export function checkCommand(ctx: Context, options: CheckOptions): number {
  return staticCheck(ctx, options).code;
}

/** `check --online`: the static check, then (when the config has no errors) the online checks. */
export async function checkOnlineCommand(ctx: Context, options: CheckOptions): Promise<number> {
  const { code, config, errors } = staticCheck(ctx, options);
  if (errors > 0) {
    ctx.io.out('online checks skipped: fix the errors first');
    return code;
  }
  const { runOnlineChecks } = await import('./online.js');
  const failed = await runOnlineChecks(ctx, config);
  return failed > 0 ? 1 : code;
}

function staticCheck(ctx: Context, options: CheckOptions): { code: number; config: Config; errors: number } {
  const { config, problems } = loadConfig(ctx.dir, ctx.env);
  for (const p of problems) ctx.io.out(formatProblem(p));
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const failed = hasErrors(problems) || (options.strict === true && warnings > 0);
  if (!options.quiet) {
    const counts = `${plural(config.brands.size, 'brand')}, ${plural(config.sources.length, 'source')}, ${plural(config.rules.length, 'rule')}, ${plural(config.digests.length, 'digest')}`;
    if (failed) ctx.io.out(`${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${ctx.dir}`);
    else ctx.io.out(`config OK (${counts})${warnings ? `, ${plural(warnings, 'warning')}` : ''}`);
  }
  return { code: failed ? 1 : 0, config, errors };
}
