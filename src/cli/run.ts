/** `earshot run`: the daemon, until SIGINT/SIGTERM. */
import { createAnalyzer } from '../analyze/index.js';
import { Daemon } from '../pipeline/daemon.js';
import { openDb, requireConfig, type Context } from './context.js';

export interface RunOptions {
  watch?: boolean;
}

export async function runCommand(ctx: Context, options: RunOptions): Promise<number> {
  const { config } = requireConfig(ctx);
  const db = openDb(ctx);
  const daemon = new Daemon({ db, config, analyzer: createAnalyzer(), log: ctx.log, watch: options.watch !== false });
  daemon.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      ctx.log.info({ signal }, 'stopping');
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await daemon.stop();
  db.close();
  return 0;
}
