/**
 * `earshot silence add|list|remove`: hold back a rule's alerts for a while (an outage everyone
 * already knows about, a planned launch). Silenced alerts are still recorded and show in the
 * digest as held back; nothing is lost, only not sent. Works while `earshot run` is running:
 * the daemon checks silences when it is about to deliver.
 */
import { existsSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { hasErrors } from '../config/problems.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { ALL_RULES, silenceStatus } from '../store/silences.js';
import type { Silence } from '../store/types.js';
import { openStore, requireConfig, UserError, type Context } from './context.js';
import { terminalSafe } from './mentions.js';

export interface SilenceAddOptions {
  rule: string;
  brand?: string;
  for: string;
  start?: string;
  reason: string;
}

export interface SilenceListOptions {
  all?: boolean;
  json?: boolean;
}

/** Longer silences are almost always a mistake (a forgotten `--for 30d`); disable the rule instead. */
const MAX_SILENCE_MS = 90 * 86_400_000;

function when(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

export async function silenceAddCommand(ctx: Context, options: SilenceAddOptions, now = new Date()): Promise<number> {
  const { config } = requireConfig(ctx, { quiet: true });
  const ruleNames = config.rules.map((r) => r.name);
  if (options.rule !== ALL_RULES && !ruleNames.includes(options.rule)) {
    throw new UserError(`--rule ${options.rule}: no such rule; rules are ${ruleNames.join(', ') || '(none)'} (or '*' for every rule)`);
  }
  if (options.brand !== undefined && !config.brands.has(options.brand)) {
    throw new UserError(`--brand ${options.brand}: no such brand; brands are ${[...config.brands.keys()].join(', ') || '(none)'}`);
  }
  const ms = parseDuration(options.for);
  if (ms === null || ms <= 0) throw new UserError(`--for ${options.for}: expected a duration like 30m, 2h or 1d`);
  if (ms > MAX_SILENCE_MS) throw new UserError(`--for ${options.for}: a silence lasts at most 90d; to stop a rule for longer, set \`enabled: false\` on it`);
  let start = now.getTime();
  if (options.start !== undefined) {
    start = Date.parse(options.start);
    if (Number.isNaN(start)) throw new UserError(`--start ${options.start}: expected a date and time like 2026-11-24T09:00Z`);
  }
  const reason = options.reason.trim();
  if (reason === '') throw new UserError('--reason must say why, e.g. --reason "known outage, status page is up"');
  const endsAt = new Date(start + ms).toISOString();
  if (endsAt <= now.toISOString()) throw new UserError(`--start ${options.start} with --for ${options.for} ends in the past; nothing would be silenced`);

  const store = await openStore(ctx);
  try {
    const silence = await store.silences.add({
      rule: options.rule,
      brand: options.brand ?? null,
      startsAt: new Date(start).toISOString(),
      endsAt,
      reason,
      createdAt: now.toISOString(),
    });
    const scope = `${silence.rule === ALL_RULES ? 'every rule' : `rule ${silence.rule}`}${silence.brand ? `, brand ${silence.brand}` : ''}`;
    const from = silence.startsAt > now.toISOString() ? `from ${when(silence.startsAt)} ` : '';
    ctx.io.out(`silence ${silence.id} added: ${scope} ${from}until ${when(silence.endsAt)} (${formatDuration(ms)}): ${terminalSafe(reason)}`);
    ctx.io.out(`alerts are recorded but not sent until then; end it early with \`earshot silence remove ${silence.id}\``);
    return 0;
  } finally {
    await store.close();
  }
}

export async function silenceListCommand(ctx: Context, options: SilenceListOptions, now = new Date()): Promise<number> {
  if (!existsSync(ctx.dbPath)) {
    if (!options.json) ctx.io.out('no silences (no database yet)');
    return 0;
  }
  const at = now.toISOString();
  // A silence naming a rule that no longer exists holds nothing back: say so (config errors do not stop the listing).
  const loaded = loadConfig(ctx.dir, ctx.env);
  const ruleNames = hasErrors(loaded.problems) ? null : new Set(loaded.config.rules.map((r) => r.name));
  const store = await openStore(ctx, { readonly: true });
  let silences: Silence[];
  try {
    silences = await store.silences.list({ at, ...(options.all ? { all: true } : {}) });
  } finally {
    await store.close();
  }
  const unknownRule = (s: Silence) => ruleNames !== null && s.rule !== ALL_RULES && !ruleNames.has(s.rule);
  if (options.json) {
    for (const s of silences) ctx.io.out(JSON.stringify({ ...s, status: silenceStatus(s, at), unknownRule: unknownRule(s) }));
    return 0;
  }
  if (silences.length === 0) {
    ctx.io.out(options.all ? 'no silences' : 'no active silences (`--all` shows ended and removed ones)');
    return 0;
  }
  for (const s of silences) {
    const status = silenceStatus(s, at);
    const scope = `${s.rule === ALL_RULES ? '* (every rule)' : s.rule}${s.brand ? ` / ${s.brand}` : ''}`;
    const timing =
      status === 'active'
        ? `until ${when(s.endsAt)} (${formatDuration(Math.ceil((Date.parse(s.endsAt) - now.getTime()) / 60_000) * 60_000)} left)`
        : status === 'pending'
          ? `from ${when(s.startsAt)} until ${when(s.endsAt)}`
          : status === 'removed'
            ? `${when(s.startsAt)} .. removed ${when(s.removedAt!)}`
            : `${when(s.startsAt)} .. ${when(s.endsAt)}`;
    const warning = unknownRule(s) ? '  [no such rule in the config: holds nothing back]' : '';
    ctx.io.out(`${s.id}  ${status}  ${terminalSafe(scope)}  ${timing}  ${terminalSafe(s.reason)}${warning}`);
  }
  return 0;
}

export async function silenceRemoveCommand(ctx: Context, idText: string, now = new Date()): Promise<number> {
  const id = Number(idText);
  if (!Number.isInteger(id) || id <= 0) throw new UserError(`${idText}: a silence id is a whole number, as shown by \`earshot silence list\``);
  if (!existsSync(ctx.dbPath)) throw new UserError(`no silence ${id}: there is no database at ${ctx.dbPath} yet`);
  const store = await openStore(ctx);
  try {
    const at = now.toISOString();
    const before = await store.silences.remove(id, at);
    if (!before) throw new UserError(`no silence ${id}; see \`earshot silence list --all\``);
    const status = silenceStatus(before, at);
    if (status === 'removed') ctx.io.out(`silence ${id} was already removed at ${when(before.removedAt!)}; nothing to do`);
    else if (status === 'ended') ctx.io.out(`silence ${id} had already ended at ${when(before.endsAt)}; marked removed`);
    else ctx.io.out(`silence ${id} removed: alerts of ${before.rule === ALL_RULES ? 'every rule' : `rule ${before.rule}`}${before.brand ? ` for ${before.brand}` : ''} are sent again`);
    return 0;
  } finally {
    await store.close();
  }
}
