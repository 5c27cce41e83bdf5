/**
 * Loads a deployment's config: sources/*.yaml (brands), rules/*.yaml (rules and digests) and the
 * environment (.env under the config dir, overridden by the process environment).
 *
 * Every problem is collected with its file:line:col and field path; the loader never stops at
 * the first one. It always returns what it could build, and the caller decides: `earshot check`
 * prints the problems, the daemon keeps its last good config when there is any error.
 * Missing credentials are warnings: the affected source or notifier is skipped at run time and
 * everything else works, so a fresh checkout without secrets still passes `earshot check`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseEnv } from 'node:util';
import type { z } from 'zod';
import { compileQuery, QuerySyntaxError, type CompiledQuery } from '../analyze/query/index.js';
import { brandExclusions, type BrandExclusions } from '../core/exclude.js';
import { learnedFile, loadLearned } from './learned.js';
import type { BrandContext, SourceType } from '../core/types.js';
import { notifierPlugin } from '../notifiers/registry.js';
import { missingReferencesHint, resolveTarget } from '../notifiers/target-env.js';
import { sourcePlugin } from '../sources/registry.js';
import { formatPath, type ConfigProblem } from './problems.js';
import {
  brandFileSchema,
  budgetSchema,
  COMMON_SOURCE_KEYS,
  commonSourceSchema,
  digestSchema,
  ruleSchema,
  rulesFileSchema,
} from './schema.js';
import type { BudgetConfig, NotifyTarget, RuleConfig } from '../rules/model.js';
import { compileRule, destinationsOf } from '../rules/schema.js';
import { keysAt, nearest, withoutUnknownKeys } from './suggest.js';

export type { BudgetConfig, CompiledMatch, NotifyTarget, RuleConfig, ThrottleConfig } from '../rules/model.js';
import { positionOf, readYamlFile, scalarTextStart, type YamlFile } from './yaml-file.js';

export type Env = Record<string, string | undefined>;

export interface BrandConfig {
  id: string;
  name: string;
  query: string;
  matcher: CompiledQuery;
  languages: string[] | null;
  context: BrandContext;
  /** Authors and sites whose mentions are never stored (`exclude:`), normalised; null when none. */
  exclude?: BrandExclusions | null;
  file: string;
}

export interface SourceConfig {
  /** Stable key for state: '<brand>/<type>', '<brand>/<type>#2', or '<brand>/<id>' when `id` is set. */
  key: string;
  brand: string;
  type: SourceType;
  everyMs: number;
  alertBackfillMs: number;
  enabled: boolean;
  /** The type-specific fields, as validated by the source type's schema. */
  settings: Record<string, unknown>;
  /** Hash of type + settings: when it changes, the source's cursor is reset (the edit applies). */
  settingsHash: string;
  /** Environment variables this source needs but that are not set: it is skipped at run time. */
  missingEnv: string[];
  file: string;
  line: number;
}

export interface DigestConfig {
  name: string;
  brands: string[] | null;
  schedule: string;
  timezone: string;
  to: string[];
  /** 'short': a quiet period gets a short digest; 'skip': none. */
  quietDay: 'short' | 'skip';
  /** A missed digest is still sent this long after its time. */
  catchUpMs: number;
  /** List-Unsubscribe target (mailto: or https:), or null. */
  listUnsubscribe: string | null;
  file: string;
  line: number;
}

export interface Config {
  dir: string;
  brands: Map<string, BrandConfig>;
  sources: SourceConfig[];
  rules: RuleConfig[];
  digests: DigestConfig[];
  /** Per-destination alert budgets (`budgets:` in rules/*.yaml). */
  budgets: BudgetConfig[];
  env: Env;
  /** The files read, relative to dir. */
  files: string[];
}

export interface LoadResult {
  config: Config;
  problems: ConfigProblem[];
}

/** Reads `.env` from the config dir (if any) under the process environment, which wins. */
export function loadEnv(dir: string, processEnv: Env = process.env): Env {
  const path = join(dir, '.env');
  let fileEnv: Record<string, string> = {};
  if (existsSync(path)) {
    try {
      fileEnv = parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
    } catch {
      fileEnv = {};
    }
  }
  const env: Env = { ...fileEnv };
  for (const [key, value] of Object.entries(processEnv)) if (value !== undefined && value !== '') env[key] = value;
  return env;
}

function listYaml(dir: string, exclude: RegExp | null = null): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name) && !name.startsWith('.') && !(exclude && exclude.test(name)))
    .sort()
    .map((name) => join(dir, name));
}

export function loadConfig(dir: string, env: Env = loadEnv(dir)): LoadResult {
  const problems: ConfigProblem[] = [];
  const config: Config = { dir, brands: new Map(), sources: [], rules: [], digests: [], budgets: [], env, files: [] };
  const display = (path: string) => relative(dir, path) || path;

  const sourceFiles = listYaml(join(dir, 'sources'));
  const ruleFiles = listYaml(join(dir, 'rules'), /\.test\.ya?ml$/);
  if (sourceFiles.length === 0) {
    problems.push({
      file: display(join(dir, 'sources')),
      line: 0,
      col: 0,
      path: '',
      message: 'no sources/*.yaml found: add one file per brand (see `earshot init`)',
      severity: 'error',
    });
  }

  const taken: TakenNames = { brands: new Map(), rules: new Map(), digests: new Map() };
  for (const path of sourceFiles) {
    const file = display(path);
    config.files.push(file);
    const yaml = readYamlFile(path, file, problems);
    if (!yaml) continue;
    loadBrandFile(yaml, config, taken, problems);
  }

  for (const path of ruleFiles) {
    const file = display(path);
    config.files.push(file);
    const yaml = readYamlFile(path, file, problems);
    if (!yaml) continue;
    loadRulesFile(yaml, config, taken, problems);
  }

  // Notifier credentials: a warning per notifier type in use, at the first rule that uses it.
  const warned = new Set<string>();
  for (const rule of config.rules) {
    for (const n of rule.notify) {
      const plugin = notifierPlugin(n.type);
      if (!plugin || warned.has(n.type)) continue;
      const missing = plugin.requiredEnv.filter((name) => !env[name]);
      if (missing.length === 0) continue;
      warned.add(n.type);
      problems.push({
        file: rule.file,
        line: rule.line,
        col: rule.col,
        path: `rules.${rule.name}.notify`,
        message: `${n.type} is not configured: set ${missing.join(', ')} in .env or the environment; ${n.type} alerts are skipped until then`,
        severity: 'warning',
      });
    }
  }
  if (config.digests.length > 0 && !warned.has('email')) {
    const missing = (notifierPlugin('email')?.requiredEnv ?? []).filter((name) => !env[name]);
    const digest = config.digests[0]!;
    if (missing.length > 0) {
      problems.push({
        file: digest.file,
        line: digest.line,
        col: 1,
        path: `digests.${digest.name}`,
        message: `email is not configured: set ${missing.join(', ')}; digests are not sent until then`,
        severity: 'warning',
      });
    }
  }
  // In file order, then line and column: one pass of fixes from top to bottom.
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col));
  return { config, problems };
}

/**
 * For a union (e.g. `throttle: 10m` or `{ initial, factor, max }`), the branch that fits the
 * value's shape explains best what is wrong: "\"10 minutes\" is not a duration" beats the generic
 * union message. Returns that branch's issues when exactly one branch got past the type check.
 */
function specificBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue[] | null {
  if (issue.code !== 'invalid_union') return null;
  const branches = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
  // Type and enum mismatches mean the value did not have this branch's shape at all.
  const shaped = branches.filter((b) => b.length > 0 && b.every((i) => i.code !== 'invalid_type' && i.code !== 'invalid_value'));
  return shaped.length === 1 ? shaped[0]!.map((i) => ({ ...i, path: [...issue.path, ...i.path] })) : null;
}

/** Zod's issues, with each union's matching branch in place of the union (see specificBranch). */
function flatIssues(error: { issues: z.core.$ZodIssue[] }): z.core.$ZodIssue[] {
  return error.issues.flatMap((issue) => specificBranch(issue) ?? [issue]);
}

/**
 * Zod's issues as problems. `schema` is what checked the value at `base`: an unknown key is then
 * compared with the keys allowed there ("did you mean throttle?").
 */
function issueProblems(yaml: YamlFile, base: PropertyKey[], error: { issues: z.core.$ZodIssue[] }, problems: ConfigProblem[], schema?: z.ZodType): void {
  const issues = flatIssues(error);
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const allowed = schema ? keysAt(schema, issue.path).filter((k) => !issue.keys.includes(k)) : [];
      for (const key of issue.keys) {
        const pos = positionOf(yaml, path, key);
        const guess = nearest(key, allowed);
        problems.push({
          file: yaml.file,
          line: pos.line,
          col: pos.col,
          path: formatPath([...path, key]),
          message: `unknown key "${key}"${guess ? `: did you mean "${guess}"?` : ''}`,
          severity: 'error',
        });
      }
      continue;
    }
    const pos = positionOf(yaml, path);
    problems.push({ file: yaml.file, line: pos.line, col: pos.col, path: formatPath(path), message: presenceMessage(issue) ?? issue.message, severity: 'error' });
  }
}

/**
 * zod's own words for a missing or empty value ("Invalid input: expected string, received
 * undefined") in the user's terms. Schemas with a message of their own for it keep theirs.
 */
function presenceMessage(issue: z.core.$ZodIssue): string | null {
  if (issue.code !== 'invalid_type') return null;
  const what = { array: 'a list', object: 'keys and values', string: 'a value', boolean: 'true or false' }[issue.expected as string] ?? `a ${issue.expected}`;
  if (/received undefined$/.test(issue.message)) return `missing: this key is required; give it ${what}`;
  if (/received null$/.test(issue.message)) return `empty: give it ${what}, or remove the key`;
  return null;
}

function compileAt(yaml: YamlFile, path: PropertyKey[], query: string, problems: ConfigProblem[]): CompiledQuery | null {
  try {
    return compileQuery(query);
  } catch (err) {
    if (!(err instanceof QuerySyntaxError)) throw err;
    const start = scalarTextStart(yaml, path);
    const pos = start === null ? positionOf(yaml, path) : yaml.lines.linePos(start + err.offset);
    problems.push({
      file: yaml.file,
      line: pos.line,
      col: pos.col,
      path: formatPath(path),
      message: err.message,
      severity: 'error',
    });
    return null;
  }
}

/**
 * Config is parsed once per load: zod's JIT (a generated parser per object schema, worth it for
 * thousands of API responses) costs more to build than it saves here, and `earshot check` pays it.
 */
const ONCE: z.core.ParseContext<z.core.$ZodIssue> = { jitless: true };

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/**
 * Reports problems in one YAML file: each at the position of a path in the file (or of another
 * path: a source's problems point at the entry, whatever field they name). The one way this
 * loader records a problem it found itself; zod's issues go through `issueProblems`.
 */
interface Reporter {
  (path: PropertyKey[], message: string, options?: { severity?: 'error' | 'warning'; at?: PropertyKey[] }): void;
}

function reporter(yaml: YamlFile, problems: ConfigProblem[]): Reporter {
  return (path, message, options = {}) => {
    const pos = positionOf(yaml, options.at ?? path);
    problems.push({ file: yaml.file, line: pos.line, col: pos.col, path: formatPath(path), message, severity: options.severity ?? 'error' });
  };
}

/** Names already taken across files (brands, rules, digests): the first file that used each. */
interface TakenNames {
  brands: Map<string, string>;
  rules: Map<string, string>;
  digests: Map<string, string>;
}

/**
 * Parses `value` at `path`; on failure reports every issue. When unknown keys (typos) were the
 * only issues, the value without them is returned as well, so that the checks behind the schema
 * (unknown brands, channels, duplicate names) run in the same `earshot check` instead of after the
 * typo is fixed. The config has errors either way and is not used.
 */
function parseReporting<T>(yaml: YamlFile, schema: z.ZodType<T>, value: unknown, path: PropertyKey[], problems: ConfigProblem[]): T | null {
  const parsed = schema.safeParse(value, ONCE);
  if (parsed.success) return parsed.data;
  issueProblems(yaml, path, parsed.error, problems, schema);
  const cleaned = withoutUnknownKeys(value, flatIssues(parsed.error));
  if (cleaned === null) return null;
  const again = schema.safeParse(cleaned, ONCE);
  return again.success ? again.data : null;
}

function loadBrandFile(yaml: YamlFile, config: Config, taken: TakenNames, problems: ConfigProblem[]): void {
  const data = parseReporting(yaml, brandFileSchema, yaml.value ?? {}, [], problems);
  if (data === null) return;
  const report = reporter(yaml, problems);
  const previous = taken.brands.get(data.brand);
  if (previous) {
    report(['brand'], `brand "${data.brand}" is already defined in ${previous}: brand ids are unique across files`);
    return;
  }
  taken.brands.set(data.brand, yaml.file);
  const matcher = compileAt(yaml, ['query'], data.query, problems);
  // The sources are checked even when the query is broken: one run reports every problem.
  const keys = new SourceKeys(data.brand);
  const sources = data.sources.map((entry, index) => loadSource(yaml, entry, ['sources', index], data.brand, keys, config.env, report, problems));
  if (!matcher) return;

  const handles = (data.handles ?? []).map((h) => h.replace(/^@/, '').toLowerCase());
  const learned = loadLearned(config.dir, data.brand);
  if (learned instanceof Error) {
    problems.push({
      file: relative(config.dir, learnedFile(config.dir, data.brand)),
      line: 0,
      col: 0,
      path: '',
      message: `${learned.message}: left out (the shared models answer for ${data.brand}); run \`earshot learn --brand ${data.brand}\` again or delete it`,
      severity: 'warning',
    });
  }
  config.brands.set(data.brand, {
    id: data.brand,
    name: data.name,
    query: data.query,
    matcher,
    languages: data.language ?? null,
    context: {
      name: data.name,
      handles,
      ...(data.vocabulary ? { vocabulary: data.vocabulary } : {}),
      ...(learned && !(learned instanceof Error) ? { adaptation: learned } : {}),
    },
    exclude: data.exclude ? brandExclusions(data.exclude.authors ?? [], data.exclude.sites ?? []) : null,
    file: yaml.file,
  });

  for (const source of sources) if (source) config.sources.push(source);
}

/** Keys of a brand's sources: '<brand>/<type>', then '#2', '#3'... for repeats, or '<brand>/<id>'. */
class SourceKeys {
  private readonly counts = new Map<string, number>();
  private readonly used = new Set<string>();
  constructor(private readonly brand: string) {}

  /** The entry's key, and whether it is the first entry of the brand with that key. */
  take(type: string, id: string | undefined): { key: string; unique: boolean } {
    const n = (this.counts.get(type) ?? 0) + 1;
    this.counts.set(type, n);
    const key = id ? `${this.brand}/${id}` : n === 1 ? `${this.brand}/${type}` : `${this.brand}/${type}#${n}`;
    const unique = !this.used.has(key);
    this.used.add(key);
    return { key, unique };
  }
}

/** One `sources:` entry: the common fields, then the type's own settings (its manifest's schema). */
function loadSource(
  yaml: YamlFile,
  entry: Record<string, unknown>,
  path: PropertyKey[],
  brand: string,
  keys: SourceKeys,
  env: Env,
  report: Reporter,
  problems: ConfigProblem[],
): SourceConfig | null {
  const common: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) (COMMON_SOURCE_KEYS.includes(k) ? common : rest)[k] = v;
  const c = parseReporting(yaml, commonSourceSchema, common, path, problems);
  // A bad common field (`every: 5x`) must not hide the type's own problems (a missing url).
  const type = c?.type ?? (typeof common.type === 'string' ? common.type : null);
  const plugin = type === null ? undefined : sourcePlugin(type);
  if (c !== null && !plugin) {
    report([...path, 'type'], `source type "${c.type}" is not available in this version of earshot`, { at: path });
    return null;
  }
  const settings = plugin ? parseReporting(yaml, plugin.schema as z.ZodType<Record<string, unknown>>, rest, path, problems) : null;
  if (c === null || !plugin || settings === null) return null;
  const { key, unique } = keys.take(c.type, c.id);
  if (!unique) {
    report([...path, 'id'], `two sources of brand ${brand} have the id ${key}; give each an \`id:\``, { at: path });
    return null;
  }
  const missingEnv = plugin.requiredEnv(settings).filter((name) => !env[name]);
  if (missingEnv.length > 0) {
    report(path, `${c.type} source ${key} needs ${missingEnv.join(', ')} (set in .env or the environment); it is skipped until then`, { severity: 'warning' });
  }
  return {
    key,
    brand,
    type: c.type,
    everyMs: c.every ?? plugin.defaultEveryMs,
    alertBackfillMs: c.alert_backfill ?? 0,
    enabled: c.enabled ?? true,
    settings,
    settingsHash: hashOf({ type: c.type, settings }),
    missingEnv,
    file: yaml.file,
    line: positionOf(yaml, path).line,
  };
}

/**
 * One notify (or budget) target: `${NAME}` references must be set (else a warning: alerts to it
 * are skipped until they are, like missing credentials), the value must suit the notifier, and a
 * URL with a key in it written literally in a YAML file is worth a warning (anyone who can read
 * the repository can post with it). Messages never show a value read from the environment.
 */
export function checkTarget(type: string, target: string, env: Env): { error: string | null; warning: string | null } {
  const plugin = notifierPlugin(type);
  if (!plugin) return { error: `notifier ${type} is not available`, warning: null };
  const resolved = resolveTarget(target, env);
  if (!resolved.ok) return { error: null, warning: `${target}: ${missingReferencesHint(resolved.missing)}; alerts to it are skipped until then` };
  const problem = plugin.validateTarget(resolved.value);
  if (problem) return { error: resolved.fromEnv ? `${target} (from the environment): ${problem}` : problem, warning: null };
  if (!resolved.fromEnv && plugin.secretInTarget?.(target)) {
    const name = plugin.target.envExample ?? `${type.toUpperCase()}_URL`;
    return {
      error: null,
      warning: `this ${plugin.label} URL holds its key, and anyone who can read this file can post with it: put it in .env as ${name}=... and write \`${type}: \${${name}}\` here`,
    };
  }
  return { error: null, warning: null };
}

type ParsedRulesFile = z.output<typeof rulesFileSchema>;

/** rules/*.yaml: its rules, budgets and digests, each section on its own. */
/**
 * rules/*.yaml: its rules, budgets and digests, each section on its own. When the file does not
 * pass as a whole, each entry is checked on its own, so that one broken rule does not hide the
 * problems of the others (`earshot check` reports everything it can in one run).
 */
function loadRulesFile(yaml: YamlFile, config: Config, taken: TakenNames, problems: ConfigProblem[]): void {
  const value = yaml.value ?? {};
  const parsed = rulesFileSchema.safeParse(value, ONCE);
  const sections = parsed.success ? parsed.data : entriesOneByOne(yaml, value, parsed.error, problems);
  const report = reporter(yaml, problems);
  // A rule's checksum is over what was written (before defaults), so adding a default to the
  // schema does not reset every rule's state.
  const rawRules = ((yaml.value as { rules?: unknown[] } | null)?.rules ?? []) as unknown[];
  (sections.rules ?? []).forEach((rule, index) => {
    if (!rule) {
      checkUnusableRule(rawRules[index], ['rules', index], config, taken, report, yaml.file);
      return;
    }
    const compiled = loadRule(yaml, rule, ['rules', index], rawRules[index] ?? rule, config, taken, report, problems);
    if (compiled) config.rules.push(compiled);
  });
  (sections.budgets ?? []).forEach((budget, index) => {
    if (!budget) return;
    const loaded = loadBudget(yaml, budget, ['budgets', index], config, report);
    if (loaded) config.budgets.push(loaded);
  });
  (sections.digests ?? []).forEach((digest, index) => {
    if (!digest) return;
    const loaded = loadDigest(yaml, digest, ['digests', index], config, taken, report);
    if (loaded) config.digests.push(loaded);
  });
}

type Entries<T> = Array<T | null> | undefined;

/**
 * A rule whose schema problems leave it unusable still gets the checks that need only its name
 * and destinations, so they are not found one round later.
 */
function checkUnusableRule(raw: unknown, path: PropertyKey[], config: Config, taken: TakenNames, report: Reporter, file: string): void {
  if (!raw || typeof raw !== 'object') return;
  const { name, notify } = raw as { name?: unknown; notify?: unknown };
  if (typeof name === 'string' && name) {
    const previous = taken.rules.get(name);
    if (previous) report([...path, 'name'], `rule name "${name}" is already used in ${previous}: rule names are unique (state is keyed on them)`);
    else taken.rules.set(name, file);
  }
  if (!Array.isArray(notify)) return;
  notify.forEach((entry, i) => {
    // An entry naming several destinations is itself the problem (reported by the schema).
    if (!entry || typeof entry !== 'object' || Object.keys(entry).length !== 1) return;
    for (const [type, target] of Object.entries(entry as Record<string, unknown>)) {
      if (typeof target !== 'string' || !notifierPlugin(type)) continue;
      const check = checkTarget(type, target, config.env);
      if (check.error) report([...path, 'notify', i, type], check.error);
    }
  });
}

/** The file's problems outside its entries, then each entry checked alone (null: unusable). */
function entriesOneByOne(
  yaml: YamlFile,
  value: unknown,
  error: z.ZodError,
  problems: ConfigProblem[],
): { rules: Entries<ParsedRule>; budgets: Entries<z.output<typeof budgetSchema>>; digests: Entries<z.output<typeof digestSchema>> } {
  const sectionNames = ['rules', 'budgets', 'digests'];
  const insideEntry = (issue: z.core.$ZodIssue) => sectionNames.includes(String(issue.path[0])) && typeof issue.path[1] === 'number';
  const outside = error.issues.filter((issue) => !insideEntry(issue));
  if (outside.length > 0) issueProblems(yaml, [], { issues: outside }, problems, rulesFileSchema);
  const record = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const each = <T>(name: string, schema: z.ZodType<T>): Entries<T> => {
    const list = record[name];
    if (!Array.isArray(list)) return undefined;
    return list.map((entry, index) => parseReporting(yaml, schema, entry, [name, index], problems));
  };
  return { rules: each('rules', ruleSchema), budgets: each('budgets', budgetSchema), digests: each('digests', digestSchema) };
}

type ParsedRule = NonNullable<ParsedRulesFile['rules']>[number];

function loadRule(
  yaml: YamlFile,
  rule: ParsedRule,
  path: PropertyKey[],
  raw: unknown,
  config: Config,
  taken: TakenNames,
  report: Reporter,
  problems: ConfigProblem[],
): RuleConfig | null {
  const at = (sub: PropertyKey[], message: string, severity: 'error' | 'warning' = 'error') => report([...path, ...sub], message, { severity });
  const previous = taken.rules.get(rule.name);
  if (previous) {
    at(['name'], `rule name "${rule.name}" is already used in ${previous}: rule names are unique (state is keyed on them)`);
    return null;
  }
  taken.rules.set(rule.name, yaml.file);
  let ok = true;
  for (const brand of rule.match.brand ?? []) {
    if (config.brands.size > 0 && !config.brands.has(brand)) {
      at(['match', 'brand'], `unknown brand "${brand}": brands are ${[...config.brands.keys()].join(', ') || '(none)'}`);
      ok = false;
    }
  }
  const text = rule.match.text ? compileAt(yaml, [...path, 'match', 'text'], rule.match.text, problems) : null;
  if (rule.match.text && !text) ok = false;
  const notify: NotifyTarget[] = [];
  rule.notify.forEach((entry, i) => {
    for (const [type, target] of destinationsOf(entry)) {
      const check = checkTarget(type, target, config.env);
      if (check.warning) at(['notify', i, type], check.warning, 'warning');
      if (check.error) {
        at(['notify', i, type], check.error);
        ok = false;
        continue;
      }
      notify.push({ type, target });
    }
  });
  if (!ok) return null;
  const pos = positionOf(yaml, path);
  return compileRule(rule, { text, notify, hash: hashOf(raw), file: yaml.file, line: pos.line, col: pos.col });
}

function loadBudget(yaml: YamlFile, budget: NonNullable<ParsedRulesFile['budgets']>[number], path: PropertyKey[], config: Config, report: Reporter): BudgetConfig | null {
  const [type, target] = destinationsOf(budget)[0]!;
  const problem = checkTarget(type, target, config.env).error;
  const duplicate = config.budgets.find((b) => b.destination.type === type && b.destination.target === target);
  if (problem || duplicate) {
    report([...path, type], problem ?? `${type} ${target} already has a budget in ${duplicate!.file}`);
    return null;
  }
  return {
    destination: { type, target },
    max: budget.max,
    perMs: budget.per,
    breakThrough: budget.break_through ?? null,
    file: yaml.file,
    line: positionOf(yaml, path).line,
  };
}

function loadDigest(
  yaml: YamlFile,
  digest: NonNullable<ParsedRulesFile['digests']>[number],
  path: PropertyKey[],
  config: Config,
  taken: TakenNames,
  report: Reporter,
): DigestConfig | null {
  const previous = taken.digests.get(digest.name);
  if (previous) {
    report([...path, 'name'], `digest name "${digest.name}" is already used in ${previous}`);
    return null;
  }
  taken.digests.set(digest.name, yaml.file);
  const unknown = (digest.brands ?? []).find((brand) => config.brands.size > 0 && !config.brands.has(brand));
  if (unknown !== undefined) {
    report([...path, 'brands'], `unknown brand "${unknown}"`);
    return null;
  }
  const email = notifierPlugin('email');
  for (const [i, to] of digest.to.entries()) {
    const problem = email?.validateTarget(to);
    if (problem) {
      report([...path, 'to', i], problem);
      return null;
    }
  }
  const { quiet_day: quietDay, catch_up: catchUpMs, list_unsubscribe: listUnsubscribe, ...rest } = digest;
  return { ...rest, brands: digest.brands ?? null, quietDay, catchUpMs, listUnsubscribe: listUnsubscribe ?? null, file: yaml.file, line: positionOf(yaml, path).line };
}
