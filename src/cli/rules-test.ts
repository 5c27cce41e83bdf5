/**
 * `earshot rules test [--since 7d] [--json]`: replays stored mentions through the rules and
 * prints the alerts they would have sent. Sends nothing, writes nothing.
 */
import { parseDuration } from '../core/duration.js';
import { replayRules } from '../rules/replay.js';
import { listMentions } from '../store/mentions.js';
import { openDb, parseSince, requireConfig, UserError, type Context } from './context.js';
import { terminalSafe } from './mentions.js';

export interface RulesTestOptions {
  since?: string;
  rule?: string;
  json?: boolean;
  show?: string;
}

export function rulesTestCommand(ctx: Context, options: RulesTestOptions): number {
  const { config } = requireConfig(ctx);
  const rules = options.rule ? config.rules.filter((r) => r.name === options.rule) : config.rules;
  if (options.rule && rules.length === 0) {
    throw new UserError(`--rule ${options.rule}: no such rule; rules are ${config.rules.map((r) => r.name).join(', ') || '(none)'}`);
  }
  const show = options.show ? Number(options.show) : 3;
  const db = openDb(ctx, { readonly: true });
  try {
    const since = parseSince(options.since ?? '7d', new Date(), parseDuration);
    const mentions = listMentions(db, { since, order: 'asc' });
    const alerts = replayRules(config, mentions, rules);
    if (options.json) {
      for (const a of alerts) {
        ctx.io.out(
          JSON.stringify({
            rule: a.rule,
            at: a.at,
            group: a.groupKey,
            summary: a.summary,
            destinations: a.destinations,
            mentions: a.mentions.map((m) => ({ id: m.id, source: m.source, url: m.url, title: m.title, text: m.text.slice(0, 280) })),
          }),
        );
      }
      return 0;
    }
    ctx.io.out(`replayed ${mentions.length} mentions since ${since} through ${rules.length} rule${rules.length === 1 ? '' : 's'}`);
    for (const rule of rules) {
      const mine = alerts.filter((a) => a.rule === rule.name);
      const covered = mine.reduce((n, a) => n + a.mentions.length, 0);
      ctx.io.out(`\n${rule.name}: would have sent ${mine.length} alert${mine.length === 1 ? '' : 's'} (${covered} mentions)${rule.enabled ? '' : ' [disabled]'}`);
      for (const a of mine.slice(0, show)) {
        ctx.io.out(`  ${a.at.slice(0, 16).replace('T', ' ')}  ${terminalSafe(a.summary)} -> ${a.destinations.join(', ')}`);
        const first = a.mentions[0]!;
        ctx.io.out(`      ${terminalSafe(`${first.title ? first.title + ' — ' : ''}${first.text}`).replace(/\s+/g, ' ').slice(0, 140)}`);
      }
      if (mine.length > show) ctx.io.out(`  … and ${mine.length - show} more`);
    }
    return 0;
  } finally {
    db.close();
  }
}
