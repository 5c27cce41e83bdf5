/**
 * `earshot rules test [files...] [--unit | --replay] [--since 7d] [--json]`:
 *   - unit tests: runs rules/*.test.yaml (or the files given) and prints a pass/fail line per
 *     test; any failure makes the exit code 1. Needs no database, so it runs in CI.
 *   - replay: replays stored mentions through the rules and prints the alerts they would have
 *     sent. Sends nothing, writes nothing.
 * By default both: the unit tests when there are any, the replay when there is a database.
 * `--unit` runs only the tests, `--replay` (or giving `--since`) only the replay.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { formatProblem } from '../config/problems.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { plural } from '../core/text.js';
import { replayRules, spikeHistoryShortfall } from '../rules/replay.js';
import { RuleTestFileError, runRuleTests, type RuleTestResult } from '../config/rule-tests.js';
import { openStore, parseSince, requireConfig, UserError, type Context } from './context.js';
import { terminalSafe } from './mentions.js';

export interface RulesTestOptions {
  since?: string;
  rule?: string;
  json?: boolean;
  show?: string;
  /** Only the YAML unit tests. */
  unit?: boolean;
  /** Only the replay of stored history. */
  replay?: boolean;
}

/** rules/*.test.yaml in the config dir, sorted. */
export function listRuleTestFiles(dir: string): string[] {
  const rulesDir = join(dir, 'rules');
  if (!existsSync(rulesDir)) return [];
  return readdirSync(rulesDir)
    .filter((name) => /\.test\.ya?ml$/.test(name) && !name.startsWith('.'))
    .sort()
    .map((name) => join(rulesDir, name));
}

export async function rulesTestCommand(ctx: Context, options: RulesTestOptions, files: string[] = []): Promise<number> {
  if (options.unit && options.replay) throw new UserError('--unit runs only the rule tests and --replay only the replay: give one of them, or neither for both');
  if (files.length > 0 && (options.replay || options.since !== undefined)) {
    throw new UserError('test files run only the rule tests; --replay and --since replay stored mentions: give one or the other');
  }
  const { config } = requireConfig(ctx);
  const testFiles = files.length > 0 ? files.map((f) => resolve(f)) : listRuleTestFiles(ctx.dir);
  const replayAsked = options.replay === true || options.since !== undefined;
  const runUnit = !options.replay && options.since === undefined;
  const runReplay = !options.unit && files.length === 0;
  if (options.unit && testFiles.length === 0) throw new UserError('no rule tests: add rules/<name>.test.yaml (see README, "Rule unit tests")');
  let code = 0;
  if (runUnit && testFiles.length > 0) code = await unitTests(ctx, config, testFiles, options.json === true);
  if (!runReplay) return code;
  if (!existsSync(ctx.dbPath) && !replayAsked && testFiles.length > 0) {
    if (!options.json) ctx.io.out(`\nno database at ${ctx.dbPath}: the replay of stored mentions is skipped`);
    return code;
  }
  if (testFiles.length > 0 && !options.json) ctx.io.out('');
  return Math.max(code, await replayHistory(ctx, config, options));
}

async function unitTests(ctx: Context, config: Config, files: readonly string[], json: boolean): Promise<number> {
  const results: RuleTestResult[] = [];
  let brokenFiles = 0;
  for (const file of files) {
    let fileResults: RuleTestResult[];
    try {
      if (!existsSync(file)) throw new UserError(`${file}: no such rule test file`);
      fileResults = await runRuleTests(config, file);
    } catch (err) {
      if (!(err instanceof RuleTestFileError)) throw err;
      brokenFiles++;
      for (const p of err.problems) ctx.io.err(formatProblem(p));
      ctx.io.err(`${err.message}: its tests did not run`);
      continue;
    }
    results.push(...fileResults);
    for (const r of fileResults) {
      if (json) {
        ctx.io.out(JSON.stringify({ test: r.name, file: r.file, line: r.line, passed: r.passed, failures: r.failures, alerts: r.alerts }));
        continue;
      }
      ctx.io.out(`${r.passed ? 'ok  ' : 'FAIL'}  ${r.file}:${r.line}  ${terminalSafe(r.name)}`);
      for (const f of r.failures) ctx.io.out(`        ${terminalSafe(f)}`);
    }
  }
  const failed = results.filter((r) => !r.passed).length;
  if (!json) {
    const broken = brokenFiles > 0 ? `, ${brokenFiles} file${brokenFiles === 1 ? '' : 's'} with errors` : '';
    ctx.io.out(`${results.length} rule test${results.length === 1 ? '' : 's'}: ${results.length - failed} passed, ${failed} failed${broken}`);
  }
  return failed > 0 || brokenFiles > 0 ? 1 : 0;
}

/** '25 h', '90 min': history lengths as people say them. */
function hours(ms: number): string {
  return ms >= 3_600_000 ? `${Math.round(ms / 3_600_000)} h` : `${Math.round(ms / 60_000)} min`;
}

async function replayHistory(ctx: Context, config: Config, options: RulesTestOptions): Promise<number> {
  const rules = options.rule ? config.rules.filter((r) => r.name === options.rule) : config.rules;
  if (options.rule && rules.length === 0) {
    throw new UserError(`--rule ${options.rule}: no such rule; rules are ${config.rules.map((r) => r.name).join(', ') || '(none)'}`);
  }
  const show = options.show ? Number(options.show) : 3;
  const store = await openStore(ctx, { readonly: true });
  try {
    const since = parseSince(options.since ?? '7d', new Date(), parseDuration);
    const mentions = await store.mentions.list({ since, order: 'asc' });
    const alerts = await replayRules(config, mentions, rules);
    if (options.json) {
      for (const a of alerts) {
        ctx.io.out(
          JSON.stringify({
            rule: a.rule,
            at: a.at,
            group: a.groupKey,
            summary: a.summary,
            destinations: a.destinations,
            heldBack: a.heldBack,
            mentions: a.mentions.map((m) => ({ id: m.id, source: m.source, url: m.url, title: m.title, text: m.text.slice(0, 280) })),
          }),
        );
      }
      return 0;
    }
    ctx.io.out(`replayed ${mentions.length} mentions since ${since} through ${rules.length} rule${rules.length === 1 ? '' : 's'}`);
    for (const rule of rules) {
      if (rule.type === 'silence') {
        ctx.io.out(`\n${rule.name}: silence rules depend on polls and are not replayed`);
        continue;
      }
      const mine = alerts.filter((a) => a.rule === rule.name);
      const covered = mine.reduce((n, a) => n + a.mentions.length, 0);
      const held = mine.filter((a) => a.heldBack).length;
      const short = mine.length === 0 && rule.type === 'spike' ? spikeHistoryShortfall(rule, mentions) : null;
      const why = short && rule.type === 'spike'
        ? `; needs ${hours(short.needsMs)} of history (${rule.baseline} baseline windows of ${formatDuration(rule.windowMs)} and the current one), has ${hours(short.hasMs)}: replay more with --since, or lower baseline`
        : '';
      ctx.io.out(
        `\n${rule.name}: would have sent ${plural(mine.length, 'alert')} (${plural(covered, 'mention')})` +
          `${held ? `, ${held} held back by quiet hours or budgets` : ''}${rule.enabled ? '' : ' [disabled]'}${why}`,
      );
      for (const a of mine.slice(0, show)) {
        ctx.io.out(`  ${a.at.slice(0, 16).replace('T', ' ')}  ${terminalSafe(a.summary)} -> ${a.destinations.join(', ')}${a.heldBack ? ` [${a.heldBack}]` : ''}`);
        const first = a.mentions[0];
        if (first) ctx.io.out(`      ${terminalSafe(`${first.title ? first.title + ' — ' : ''}${first.text}`).replace(/\s+/g, ' ').slice(0, 140)}`);
      }
      if (mine.length > show) ctx.io.out(`  … and ${mine.length - show} more`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
