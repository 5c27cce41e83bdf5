/**
 * `earshot digest [--brand B] [--date YYYY-MM-DD] [--send | --out FILE.html] [--name DIGEST]`:
 * builds a digest now.
 *   - Period: without --date, the digest's last complete scheduled period (what its last mail
 *     covered); with --date, that calendar day in the digest's timezone (today: up to now).
 *   - Which digests: --name picks one; --brand picks the digests that include the brand (and
 *     limits them to it); neither: every digest. Without digests in rules/, a preview of all
 *     brands (or --brand) in UTC is still built, but cannot be sent.
 *   - Output: --send mails it to the digest's `to`; --out writes the HTML; otherwise the plain
 *     text goes to stdout. Manual sends do not count as the scheduled send of the period.
 */
import { writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Config, DigestConfig } from '../config/load.js';
import { createMailTransport } from '../notifiers/email/index.js';
import { buildDigest } from '../digest/build.js';
import { composeDigest } from '../digest/compose.js';
import { digestBrands } from '../digest/index.js';
import type { DigestModel } from '../digest/model.js';
import { dayPeriod, lastCompletePeriod, localDate, parseDate, previousPeriod, scheduleOf, type Period } from '../digest/period.js';
import { renderDigestHtml } from '../digest/render-html.js';
import { renderDigestText } from '../digest/render-text.js';
import { openStore, requireConfig, UserError, type Context } from './context.js';

export interface DigestOptions {
  brand?: string;
  date?: string;
  send?: boolean;
  out?: string;
  name?: string;
}

/** Stands in when rules/ defines no digest: a daily preview at midnight UTC. */
const PREVIEW_SCHEDULE = '0 0 * * *';

function selectDigests(config: Config, options: DigestOptions): DigestConfig[] {
  if (options.brand && !config.brands.has(options.brand)) {
    throw new UserError(`--brand ${options.brand}: unknown brand; brands are ${[...config.brands.keys()].join(', ') || '(none)'}`);
  }
  if (options.name) {
    const digest = config.digests.find((d) => d.name === options.name);
    if (!digest) {
      throw new UserError(`--name ${options.name}: no such digest; digests in rules/ are ${config.digests.map((d) => d.name).join(', ') || '(none)'}`);
    }
    if (options.brand && !digestBrands(config, digest).includes(options.brand)) {
      throw new UserError(`--brand ${options.brand}: digest ${digest.name} does not include this brand`);
    }
    return [digest];
  }
  const matching = options.brand ? config.digests.filter((d) => digestBrands(config, d).includes(options.brand!)) : config.digests;
  if (matching.length > 0) return matching;
  if (options.send) {
    const which = options.brand ? `includes brand ${options.brand}` : 'is defined';
    throw new UserError(`--send: no digest ${which}; add one under digests: in rules/*.yaml (name, brands, schedule, timezone, to)`);
  }
  return [
    { name: 'preview', brands: null, schedule: PREVIEW_SCHEDULE, timezone: 'UTC', to: [], quietDay: 'short', catchUpMs: 0, listUnsubscribe: null, file: '', line: 0 },
  ];
}

function periodFor(digest: DigestConfig, options: DigestOptions, now: Date): { period: Period; previous: Period; kind: DigestModel['kind'] } {
  const cron = scheduleOf(digest.schedule, digest.timezone);
  if (options.date) {
    if (!parseDate(options.date)) throw new UserError(`--date ${options.date}: expected a date like 2026-11-22 (YYYY-MM-DD)`);
    if (options.date > localDate(now, digest.timezone)) throw new UserError(`--date ${options.date}: that day is in the future (in ${digest.timezone})`);
    const period = dayPeriod(options.date, digest.timezone, now);
    return { period, previous: previousPeriod(period, null, digest.timezone, 'day'), kind: 'day' };
  }
  const period = lastCompletePeriod(cron, now);
  if (!period) throw new UserError(`digest ${digest.name}: its schedule "${digest.schedule}" has not run yet; use --date`);
  return { period, previous: previousPeriod(period, cron, digest.timezone, 'scheduled'), kind: 'scheduled' };
}

function outPath(out: string, digest: string, several: boolean): string {
  if (!several) return out;
  const ext = extname(out) || '.html';
  return join(dirname(out), `${basename(out, extname(out))}-${digest}${ext}`);
}

export async function digestCommand(ctx: Context, options: { brand?: string; date?: string; send?: boolean; out?: string; name?: string }): Promise<number> {
  if (options.send && options.out) throw new UserError('--send and --out: choose one (send the digest, or write its HTML to a file)');
  const { config } = requireConfig(ctx);
  const digests = selectDigests(config, options);
  const now = new Date();
  const store = await openStore(ctx, { readonly: true });
  const transport = options.send ? createMailTransport(config.env) : null;
  let failures = 0;
  try {
    for (const digest of digests) {
      const { period, previous, kind } = periodFor(digest, options, now);
      const brands = options.brand ? [options.brand] : digestBrands(config, digest);
      const model = await buildDigest({ store, config, digest, brands, period, previous, kind, now });
      if (transport) {
        const outcome = await transport.send(composeDigest(model, digest));
        if (outcome.status === 'sent') {
          ctx.io.out(`digest ${digest.name}: sent to ${digest.to.join(', ')}`);
        } else {
          failures += 1;
          ctx.io.err(`earshot: digest ${digest.name} not sent: ${outcome.error}`);
        }
        continue;
      }
      if (options.out) {
        const path = outPath(options.out, digest.name, digests.length > 1);
        writeFileSync(path, renderDigestHtml(model, { unsubscribeUrl: digest.listUnsubscribe?.startsWith('https://') ? digest.listUnsubscribe : null }));
        ctx.io.out(`digest ${digest.name}: wrote ${path}`);
        continue;
      }
      if (digests.length > 1 && digest !== digests[0]) ctx.io.out('');
      ctx.io.out(renderDigestText(model).trimEnd());
    }
  } finally {
    await transport?.close();
    await store.close();
  }
  return failures > 0 ? 1 : 0;
}
