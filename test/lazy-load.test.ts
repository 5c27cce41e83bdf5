/**
 * Regression: packages loaded on first use (core/lazy.ts) must never be caught half-loaded.
 * Mixing require() and import() of the same ES module (htmlparser2) made Node throw
 * ERR_INTERNAL_ASSERTION when a poll parsed HTML while the feed parser was still being imported.
 * This does exactly that, at several delays, in fresh processes running the compiled code.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compiledCli } from '../scripts/soak.js';

describe('lazy loading', () => {
  it('requires a package while the feed parser is being imported, without a half-loaded module', () => {
    const dist = join(dirname(compiledCli()), 'dist');
    for (const delayMs of [2, 5, 10, 20, 40]) {
      const script = `
        import { createRequire } from 'node:module';
        const require = createRequire(${JSON.stringify(join(dist, 'core/lazy.js'))});
        const parsing = import(${JSON.stringify(join(dist, 'sources/rss/parse.js'))});
        await new Promise((r) => setTimeout(r, ${delayMs}));
        const { htmlToText } = await import(${JSON.stringify(join(dist, 'core/text.js'))});
        htmlToText('<p>acme <b>cloud</b></p>');
        require('htmlparser2');
        await parsing;
        console.log('ok');`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
      expect(r.stderr, `delay ${delayMs} ms`).not.toMatch(/ERR_INTERNAL_ASSERTION|not yet fully loaded/);
      expect(r.stdout.trim(), `delay ${delayMs} ms`).toBe('ok');
    }
  }, 120_000);
});
