/**
 * `earshot learn --brand B [--forget]`: learns the brand's adaptation from its team's
 * corrections now and prints what changed (src/pipeline/learn.ts, the same code the daemon runs
 * when it refreshes a brand by itself). It writes `learned/<brand>.json` in the config
 * directory, where the config loader attaches it to the brand. `--forget` deletes it: the shared
 * models again, and the daemon does not learn it back until EARSHOT_LEARN_EVERY new corrections
 * arrive.
 */
import { forgetBrand, learnBrand } from '../pipeline/learn.js';
import { openStore, requireConfig, UserError, type Context } from './context.js';

export interface LearnOptions {
  brand: string;
  forget?: boolean;
}

export async function learnCommand(ctx: Context, options: LearnOptions): Promise<number> {
  const { config } = requireConfig(ctx, { quiet: true });
  const brand = config.brands.get(options.brand);
  if (!brand) {
    const known = [...config.brands.keys()].sort();
    throw new UserError(`--brand ${options.brand}: no such brand; ${known.length ? `brands are ${known.join(', ')}` : 'no brand is configured (sources/*.yaml)'}`);
  }
  const store = await openStore(ctx);
  try {
    if (options.forget) {
      const file = await forgetBrand(store, ctx.dir, brand.id);
      ctx.io.out(`${brand.id}: forgot what it learned; the shared models answer again (${file} removed)`);
      return 0;
    }
    const result = await learnBrand(store, ctx.dir, brand);
    for (const line of result.lines) ctx.io.out(line);
    return 0;
  } finally {
    await store.close();
  }
}
