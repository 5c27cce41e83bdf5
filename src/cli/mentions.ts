/** `earshot mentions`: lists stored mentions, newest first; `--json` prints one object per line. */
import { parseDuration } from '../core/duration.js';
import { SENTIMENT_LABELS, type Mention } from '../core/types.js';
import { SOURCE_TYPES } from '../sources/registry.js';
import { planMentionSearch, type MentionSearchPlan } from '../analyze/query/fts.js';
import { QuerySyntaxError } from '../analyze/query/index.js';
import { loadConfig } from '../config/load.js';
import { triageStoreOf } from '../store/index.js';
import type { MentionFilter, Store } from '../store/types.js';
import { openStore, parseSince, UserError, type Context } from './context.js';

export interface MentionsOptions {
  brand?: string;
  source?: string;
  since?: string;
  sentiment?: string;
  search?: string;
  limit?: string;
  duplicates?: boolean;
  json?: boolean;
}

/** Strips control characters so a mention can never rewrite the user's terminal. */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
}

export async function mentionsCommand(ctx: Context, options: MentionsOptions): Promise<number> {
  if (options.sentiment && ![...SENTIMENT_LABELS, 'unknown'].includes(options.sentiment)) {
    throw new UserError(`--sentiment ${options.sentiment}: expected negative, neutral, positive or unknown`);
  }
  if (options.source && !(SOURCE_TYPES as readonly string[]).includes(options.source)) {
    throw new UserError(`--source ${options.source}: expected one of ${SOURCE_TYPES.join(', ')}`);
  }
  const limit = options.limit ? Number(options.limit) : 100;
  if (!Number.isInteger(limit) || limit <= 0) throw new UserError(`--limit ${options.limit}: expected a positive whole number`);
  // Checked here so that a bad query is reported with its column before anything is opened.
  if (options.search !== undefined) planSearchOption('--search', options.search);
  const store = await openStore(ctx, { readonly: true });
  try {
    if (options.brand !== undefined) await checkBrand(ctx, store, options.brand);
    const since = parseSince(options.since ?? '24h', new Date(), parseDuration);
    const filter: MentionFilter = {
      ...(options.brand ? { brand: options.brand } : {}),
      ...(options.source ? { source: options.source } : {}),
      ...(options.sentiment ? { sentiment: options.sentiment } : {}),
      ...(options.search !== undefined ? { search: options.search } : {}),
      since,
      limit,
      includeDuplicates: options.duplicates ?? false,
    };
    const mentions: Mention[] = await store.mentions.list(filter);
    if (options.json) {
      // With the triage fields (status, assignee, tags...), as the web UI and API show them.
      const triaged = await (await triageStoreOf(store)).getMentions(mentions.map((m) => m.id));
      for (const m of triaged) ctx.io.out(JSON.stringify(m));
      return 0;
    }
    for (const m of mentions) {
      const head = `${m.publishedAt.slice(0, 16).replace('T', ' ')}  ${m.brand}  ${m.source}  ${m.sentiment.label}(${m.sentiment.score.toFixed(2)})  ${m.urgency.level}`;
      const body = terminalSafe(`${m.title ? m.title + ' — ' : ''}${m.text}`).replace(/\s+/g, ' ').slice(0, 160);
      ctx.io.out(`${head}  ${terminalSafe(m.author ?? '-')}\n    ${body}\n    ${terminalSafe(m.url ?? '')}`);
    }
    if (!options.json) ctx.io.out(`${mentions.length} mention${mentions.length === 1 ? '' : 's'}`);
    // Imported history, or a first poll of older items, is stored but outside the default 24 h.
    if (!options.json && mentions.length === 0) {
      const { since: _since, ...anyTime } = filter;
      const [newest] = await store.mentions.list({ ...anyTime, limit: 1 });
      if (newest) {
        ctx.io.out(`(none published since ${since.slice(0, 16).replace('T', ' ')} UTC; the newest that matches is from ${newest.publishedAt.slice(0, 10)}: try --since 30d, or a date)`);
      }
    }
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * Plans a search given on the command line; a bad query is a UserError that points at the
 * problem the way `earshot check` does for a query in a file (column, then the query and a caret).
 */
export function planSearchOption(option: string, query: string): MentionSearchPlan {
  try {
    return planMentionSearch(query);
  } catch (err) {
    if (!(err instanceof QuerySyntaxError)) throw err;
    const shown = terminalSafe(query.replace(/[\t\n\r]/g, ' '));
    const column = Array.from(query.slice(0, err.offset)).length + 1;
    const caret = ' '.repeat(column - 1) + '^'.repeat(Math.max(1, Math.min(Array.from(query.slice(err.offset, err.offset + err.length)).length, 80)));
    throw new UserError(`${option}: column ${column}: ${err.message}\n  ${shown}\n  ${caret}`);
  }
}

/** An unknown --brand would list nothing and look like a quiet day: name the brands instead. */
async function checkBrand(ctx: Context, store: Store, brand: string): Promise<void> {
  const configured = [...loadConfig(ctx.dir, ctx.env).config.brands.keys()];
  if (configured.includes(brand) || (await store.mentions.hasBrand(brand))) return;
  const known = [...new Set([...configured, ...(await store.mentions.brands())])].sort();
  throw new UserError(`--brand ${brand}: no such brand; ${known.length ? `brands are ${known.join(', ')}` : 'no brand is configured (sources/*.yaml)'}`);
}
