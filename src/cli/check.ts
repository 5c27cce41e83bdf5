/** `earshot check`: validates sources/, rules/ and the environment; exit 1 on any error. */
import { loadConfig } from '../config/load.js';
import { formatProblem, hasErrors } from '../config/problems.js';
import type { Context } from './context.js';

export interface CheckOptions {
  strict?: boolean;
  quiet?: boolean;
}

export function checkCommand(ctx: Context, options: CheckOptions): number {
  const { config, problems } = loadConfig(ctx.dir, ctx.env);
  for (const p of problems) ctx.io.out(formatProblem(p));
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const failed = hasErrors(problems) || (options.strict === true && warnings > 0);
  if (!options.quiet) {
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    const counts = `${plural(config.brands.size, 'brand')}, ${plural(config.sources.length, 'source')}, ${plural(config.rules.length, 'rule')}, ${plural(config.digests.length, 'digest')}`;
    if (failed) ctx.io.out(`${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${ctx.dir}`);
    else ctx.io.out(`config OK (${counts})${warnings ? `, ${plural(warnings, 'warning')}` : ''}`);
  }
  return failed ? 1 : 0;
}
