/**
 * Rule unit tests (promtool style): `rules/*.test.yaml` puts mentions on a timeline, runs the
 * rules over them with the same replay `earshot rules test --since` uses, and compares what they
 * send with what the test expects. `earshot rules test` runs them (no database, no network), so
 * a rule change can be checked in CI before it goes live.
 *
 *   # yaml-language-server: $schema=../schemas/rules-test.schema.json   (editor completion; optional)
 *   start: 2026-01-05T09:00:00Z          # optional: the clock at `at: 0s` (default 2026-01-05T00:00:00Z, a Monday)
 *   tests:
 *     - name: a burst becomes one alert
 *       rules: [negative-mention]        # optional: only these rules (default: every enabled rule)
 *       mentions:                        # the input timeline; `at` is an offset from the test's start
 *         - at: 0s
 *           brand: acme                  # optional when the config has one brand
 *           source: twitter              # optional: default the brand's first source type
 *           text: "acme cloud is down again, refund please"
 *           sentiment: negative          # optional: else the analyzer scores the text
 *         - at: 1m
 *           text: "still down, acme cloud"
 *           repeat: 3                    # optional: 3 mentions, `every` apart (default 1m); {i} in texts is 1, 2, 3
 *       expect:                          # every alert sent, and nothing else; [] = nothing fires
 *         - rule: negative-mention
 *           at: 0s                       # or between: [0s, 1m]; neither = any time
 *           mentions: 1                  # optional: how many mentions the alert carries
 *         - rule: negative-mention
 *           at: 10m
 *           with: [m2, m3]               # optional: exactly these mentions (by `id:`, default #1, #2... in time order)
 *           held: false                  # optional: true when quiet/active hours or a budget hold it back
 *
 * Mention fields: at, text (required), brand, source, title, author, reach, url, link (the story
 * URL: `group_by: [story]`), language, sentiment (a label, or { label, score }), urgency (a level,
 * or a score 0..1), id, repeat, every. A label alone scores negative -0.6, neutral 0, positive
 * 0.6; a level alone scores at its threshold (low 0). Brand queries and language filters are not
 * applied: a test says what the rules do with mentions that were stored.
 *
 * Alerts are what the rules create, at creation time; `held` says whether quiet/active hours or a
 * budget would hold one back. A volume or spike alert carries a sample of at most 5 mentions.
 * Silence rules (type: silence) watch polls and are not run; `earshot silence` is not applied.
 *
 * Comparison: each expected alert matches one sent alert of its rule whose time and mentions fit;
 * order in the list does not matter. Sent alerts left over are failures ("unexpected alert"), so
 * `expect` is the complete list. Alerts due after `until` (optional, per test) are not counted;
 * without it, whatever waits at the end of the timeline (group_wait, throttle) is released when
 * it is due, as in the daemon.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { z } from 'zod';
import { createAnalyzer, URGENCY_THRESHOLDS, urgencyLevel } from '../analyze/index.js';
import type { Config, RuleConfig } from './load.js';
import { formatPath, type ConfigProblem } from './problems.js';
import { durationSchema } from '../core/primitives.js';
import { positionOf, readYamlFile, type YamlFile } from './yaml-file.js';
import { formatDuration } from '../core/duration.js';
import { URGENCY_LEVELS, type Analyzer, type Mention, type SourceType, type UrgencyLevel } from '../core/types.js';
import { SOURCE_TYPES } from '../sources/registry.js';
import { canonicalUrl } from '../core/dedup.js';
import { replayRules, type ReplayedAlert } from '../rules/replay.js';

/** The clock at `at: 0s` when a file does not say: a Monday, 00:00 UTC. */
export const DEFAULT_TEST_START = '2026-01-05T00:00:00.000Z';
const MAX_MENTIONS_PER_TEST = 10_000;

const SENTIMENT_SCORES = { negative: -0.6, neutral: 0, positive: 0.6, unknown: 0 } as const;
const sentimentLabel = z.enum(['negative', 'neutral', 'positive', 'unknown'], {
  error: 'sentiment is negative, neutral, positive or unknown, or { label: negative, score: -0.8 }',
});
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'a time like 2026-01-05T09:00:00Z');
const label = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'an id uses letters, digits, -, _ and . (#1, #2... name mentions without one)');
/** A mention in `with:`: its `id:`, or #n for the n-th mention of the timeline. */
const reference = z.string().regex(/^(#[1-9]\d*|[A-Za-z0-9][A-Za-z0-9_.-]*)$/, 'a mention is named by its id, or #n for the n-th mention in time order');

const mentionSchema = z.strictObject({
  at: durationSchema,
  text: z.string(),
  id: label.optional(),
  brand: z.string().min(1).optional(),
  source: z.enum(SOURCE_TYPES, { error: `source is one of ${SOURCE_TYPES.join(', ')}` }).optional(),
  title: z.string().optional(),
  author: z.string().min(1).optional(),
  reach: z.number().int().min(0).optional(),
  url: z.string().min(1).optional(),
  link: z.string().min(1).optional(),
  language: z.string().min(2).optional(),
  sentiment: z
    .union([sentimentLabel, z.strictObject({ label: sentimentLabel, score: z.number().min(-1).max(1).optional() })], {
      error: 'sentiment is negative, neutral, positive or unknown, or { label: negative, score: -0.8 }',
    })
    .optional(),
  urgency: z
    .union([z.enum(URGENCY_LEVELS), z.number().min(0).max(1)], { error: `urgency is a level (${URGENCY_LEVELS.join(', ')}) or a score from 0 to 1` })
    .optional(),
  repeat: z.number().int().min(1).max(MAX_MENTIONS_PER_TEST).optional(),
  every: durationSchema.optional(),
});

const expectSchema = z
  .strictObject({
    rule: z.string().min(1),
    at: durationSchema.optional(),
    between: z.tuple([durationSchema, durationSchema], { error: 'between is [from, to], e.g. [0s, 1m]' }).optional(),
    mentions: z.number().int().min(1).optional(),
    with: z.array(reference).min(1).optional(),
    /** true: quiet/active hours or a budget hold it back (digest or later); false: it goes out at once. */
    held: z.boolean().optional(),
  })
  .refine((e) => e.at === undefined || e.between === undefined, { message: 'give `at` or `between`, not both', path: ['between'] })
  .refine((e) => !e.between || e.between[0] <= e.between[1], { message: 'between: the first time must not be after the second', path: ['between'] });

const testSchema = z.strictObject({
  name: z.string().min(1, 'every test needs a name'),
  description: z.string().optional(),
  start: isoTime.optional(),
  rules: z.array(z.string().min(1)).min(1).optional(),
  until: durationSchema.optional(),
  mentions: z.array(mentionSchema, { error: 'mentions is a list (it may be empty: [])' }),
  expect: z.array(expectSchema, { error: 'expect is a list of alerts; [] when nothing may fire' }),
});

/** The whole `*.test.yaml` file (also the source of schemas/rules-test.schema.json). */
export const ruleTestFileSchema = z.strictObject({
  start: isoTime.optional(),
  tests: z.array(testSchema, { error: 'tests is a list of tests' }).min(1, 'list at least one test'),
});

type TestSpec = z.output<typeof testSchema>;
type ExpectSpec = z.output<typeof expectSchema>;

/** The test file could not be used (YAML, schema, unknown rule or brand): every problem, with file:line:col. */
export class RuleTestFileError extends Error {
  readonly problems: ConfigProblem[];
  constructor(file: string, problems: ConfigProblem[]) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the rule test file`);
    this.name = 'RuleTestFileError';
    this.problems = problems;
  }
}

export interface SentAlert {
  rule: string;
  /** Offset from the test's start, e.g. '10m'. */
  at: string;
  /** Labels of the mentions it carries (`id:` or #n); a volume or spike alert carries a sample. */
  mentions: string[];
  /** Why quiet/active hours or a budget would hold it back, or null when it goes out at once. */
  heldBack: string | null;
}

export interface RuleTestResult {
  /** The test file, relative to the config dir. */
  file: string;
  /** Where the test starts in the file. */
  line: number;
  col: number;
  name: string;
  passed: boolean;
  /** What differed, one sentence each; empty when passed. */
  failures: string[];
  /** Every alert the rules sent, in time order. */
  alerts: SentAlert[];
}

export interface RuleTestOptions {
  analyzer?: Analyzer;
}

interface TimelineMention {
  mention: Mention;
  label: string;
}

export async function runRuleTests(config: Config, file: string, options: RuleTestOptions = {}): Promise<RuleTestResult[]> {
  const path = isAbsolute(file) ? file : resolve(config.dir, file);
  const display = relative(config.dir, path) || path;
  const problems: ConfigProblem[] = [];
  const yaml = readYamlFile(path, display, problems);
  if (!yaml) throw new RuleTestFileError(display, problems);
  const parsed = ruleTestFileSchema.safeParse(yaml.value ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code !== 'unrecognized_keys') {
        problems.push(problemAt(yaml, issue.path, issue.message));
        continue;
      }
      for (const key of issue.keys) problems.push(problemAt(yaml, issue.path, `unknown key "${key}"`, key));
    }
    throw new RuleTestFileError(display, problems);
  }
  checkReferences(config, yaml, parsed.data.tests, problems);
  if (problems.length > 0) throw new RuleTestFileError(display, problems);

  let analyzer = options.analyzer ?? null;
  const results: RuleTestResult[] = [];
  for (const [index, test] of parsed.data.tests.entries()) {
    const pos = positionOf(yaml, ['tests', index]);
    const start = Date.parse(test.start ?? parsed.data.start ?? DEFAULT_TEST_START);
    const needsAnalyzer = test.mentions.some((m) => m.sentiment === undefined || m.urgency === undefined || m.language === undefined);
    if (needsAnalyzer && !analyzer) analyzer = createAnalyzer();
    const timeline = buildTimeline(config, test, start, analyzer);
    const rules = rulesFor(config, test);
    const until = test.until === undefined ? Number.POSITIVE_INFINITY : start + test.until;
    const sent = (
      await replayRules(
        config,
        timeline.map((t) => t.mention),
        rules,
      )
    ).filter((a) => Date.parse(a.at) <= until);
    const labels = new Map(timeline.map((t) => [t.mention.id, t.label]));
    const alerts = sent.map((a) => toSentAlert(a, start, labels));
    const failures = compare(test.expect, alerts, sent, start, labels, (i) => {
      const p = positionOf(yaml, ['tests', index, 'expect', i]);
      return `${display}:${p.line}:${p.col}`;
    });
    results.push({ file: display, line: pos.line, col: pos.col, name: test.name, passed: failures.length === 0, failures, alerts });
  }
  return results;
}

function problemAt(yaml: YamlFile, path: readonly PropertyKey[], message: string, key?: string): ConfigProblem {
  const pos = positionOf(yaml, path, key);
  return { file: yaml.file, line: pos.line, col: pos.col, path: formatPath(key ? [...path, key] : path), message, severity: 'error' };
}

/** Rules, brands and mention ids a test names must exist: a typo must not make a test pass. */
function checkReferences(config: Config, yaml: YamlFile, tests: readonly TestSpec[], problems: ConfigProblem[]): void {
  const ruleNames = config.rules.map((r) => r.name);
  const silenceRules = new Set(config.rules.filter((r) => r.type === 'silence').map((r) => r.name));
  const ruleList = ruleNames.join(', ') || '(none)';
  const brandList = [...config.brands.keys()].join(', ') || '(none)';
  const names = new Map<string, number>();
  tests.forEach((test, t) => {
    const base = ['tests', t];
    const previous = names.get(test.name);
    if (previous !== undefined) problems.push(problemAt(yaml, [...base, 'name'], `test name "${test.name}" is already used by tests[${previous}]`));
    names.set(test.name, t);
    test.rules?.forEach((rule, i) => {
      if (!ruleNames.includes(rule)) problems.push(problemAt(yaml, [...base, 'rules', i], `unknown rule "${rule}": rules are ${ruleList}`));
    });
    const labels = new Set<string>();
    test.mentions.forEach((m, i) => {
      if (m.brand !== undefined && !config.brands.has(m.brand)) {
        problems.push(problemAt(yaml, [...base, 'mentions', i, 'brand'], `unknown brand "${m.brand}": brands are ${brandList}`));
      }
      if (m.brand === undefined && config.brands.size !== 1) {
        problems.push(problemAt(yaml, [...base, 'mentions', i], `give the mention a brand: the config has ${config.brands.size} brands (${brandList})`));
      }
      for (const l of expandLabels(m.id, m.repeat ?? 1)) labels.add(l);
    });
    const tested = test.rules ?? ruleNames;
    const total = test.mentions.reduce((n, m) => n + (m.repeat ?? 1), 0);
    if (total > MAX_MENTIONS_PER_TEST) problems.push(problemAt(yaml, [...base, 'mentions'], `a test has at most ${MAX_MENTIONS_PER_TEST} mentions (this one has ${total})`));
    for (const [i, name] of (test.rules ?? []).entries()) {
      if (silenceRules.has(name)) problems.push(problemAt(yaml, [...base, 'rules', i], SILENCE_RULE_PROBLEM(name)));
    }
    test.expect.forEach((e, i) => {
      if (silenceRules.has(e.rule)) problems.push(problemAt(yaml, [...base, 'expect', i, 'rule'], SILENCE_RULE_PROBLEM(e.rule)));
      else if (!ruleNames.includes(e.rule)) problems.push(problemAt(yaml, [...base, 'expect', i, 'rule'], `unknown rule "${e.rule}": rules are ${ruleList}`));
      else if (!tested.includes(e.rule)) problems.push(problemAt(yaml, [...base, 'expect', i, 'rule'], `rule "${e.rule}" is not in this test's rules: [${tested.join(', ')}]`));
      e.with?.forEach((w, j) => {
        if (!labels.has(w) && !/^#\d+$/.test(w)) problems.push(problemAt(yaml, [...base, 'expect', i, 'with', j], `no mention with id "${w}" in this test`));
      });
      if (e.with && e.mentions !== undefined && e.with.length !== e.mentions) {
        problems.push(problemAt(yaml, [...base, 'expect', i, 'mentions'], `mentions: ${e.mentions} but with lists ${e.with.length}`));
      }
    });
  });
}

const SILENCE_RULE_PROBLEM = (name: string) =>
  `rule "${name}" is a silence rule: it watches polls, which a rule test does not simulate; test it with the daemon's timeline tests`;

/** Labels of a (repeated) mention entry: `m1`, or `m1.1`, `m1.2`... when repeated. */
function expandLabels(id: string | undefined, repeat: number): string[] {
  if (id === undefined) return [];
  if (repeat === 1) return [id];
  return Array.from({ length: repeat }, (_, i) => `${id}.${i + 1}`);
}

function rulesFor(config: Config, test: TestSpec): RuleConfig[] {
  // A rule named in `rules:` is tested even when disabled: check it before switching it on.
  if (test.rules) return config.rules.filter((r) => test.rules!.includes(r.name)).map((r) => ({ ...r, enabled: true }));
  return config.rules.filter((r) => r.enabled);
}

function buildTimeline(config: Config, test: TestSpec, start: number, analyzer: Analyzer | null): TimelineMention[] {
  const entries: Array<{ t: number; order: number; label: string | null; spec: TestSpec['mentions'][number]; i: number }> = [];
  let order = 0;
  for (const spec of test.mentions) {
    const repeat = spec.repeat ?? 1;
    const labels = expandLabels(spec.id, repeat);
    for (let i = 0; i < repeat; i++) {
      entries.push({ t: start + spec.at + i * (spec.every ?? 60_000), order: order++, label: labels[i] ?? null, spec, i: i + 1 });
    }
  }
  entries.sort((a, b) => a.t - b.t || a.order - b.order);
  return entries.map((e, index) => {
    const id = index + 1;
    return { mention: toMention(config, e.spec, e.i, id, new Date(e.t).toISOString(), analyzer), label: e.label ?? `#${id}` };
  });
}

function toMention(config: Config, spec: TestSpec['mentions'][number], n: number, id: number, at: string, analyzer: Analyzer | null): Mention {
  const brandId = spec.brand ?? [...config.brands.keys()][0]!;
  const brand = config.brands.get(brandId);
  const source: SourceType = spec.source ?? config.sources.find((s) => s.brand === brandId)?.type ?? 'rss';
  const fill = (s: string) => s.replaceAll('{i}', String(n));
  const title = fill(spec.title ?? '');
  const text = fill(spec.text);
  const analysis =
    spec.sentiment === undefined || spec.urgency === undefined || spec.language === undefined
      ? (analyzer?.analyze({ title, text, reach: spec.reach ?? null, ...(brand ? { brand: brand.context } : {}) }) ?? null)
      : null;
  const sentiment =
    spec.sentiment === undefined
      ? analysis!.sentiment
      : typeof spec.sentiment === 'string'
        ? { label: spec.sentiment, score: SENTIMENT_SCORES[spec.sentiment], reasons: ['set by the test'] }
        : { label: spec.sentiment.label, score: spec.sentiment.score ?? SENTIMENT_SCORES[spec.sentiment.label], reasons: ['set by the test'] };
  const urgency =
    spec.urgency === undefined
      ? analysis!.urgency
      : typeof spec.urgency === 'number'
        ? { level: urgencyLevel(spec.urgency), score: spec.urgency, reasons: ['set by the test'] }
        : { level: spec.urgency, score: levelScore(spec.urgency), reasons: ['set by the test'] };
  const url = spec.url ? fill(spec.url) : null;
  const link = spec.link ? fill(spec.link) : null;
  return {
    id,
    brand: brandId,
    source,
    sourceKey: `${brandId}/${source}`,
    sourceId: `test-${id}`,
    url,
    author: spec.author ? fill(spec.author) : null,
    reach: spec.reach ?? null,
    title,
    text,
    kind: 'post',
    linkUrl: link,
    language: spec.language ?? analysis?.language ?? null,
    publishedAt: at,
    fetchedAt: at,
    matchedTerms: [],
    sentiment,
    urgency,
    duplicateOf: null,
    storyKey: canonicalUrl(link ?? url),
    metrics: {},
    // The analyzer's flags when it scored the text, so moderation rules (match.flags) can be tested;
    // unknown (never matching) when the test sets sentiment, urgency and language itself.
    flags: analysis?.flags ?? null,
  };
}

function levelScore(level: UrgencyLevel): number {
  return level === 'low' ? 0 : URGENCY_THRESHOLDS[level];
}

function offset(iso: string, start: number): string {
  const ms = Date.parse(iso) - start;
  return ms < 0 ? `-${formatDuration(-ms)}` : formatDuration(ms);
}

function toSentAlert(alert: ReplayedAlert, start: number, labels: Map<number, string>): SentAlert {
  return { rule: alert.rule, at: offset(alert.at, start), mentions: alert.mentions.map((m) => labels.get(m.id) ?? `#${m.id}`), heldBack: alert.heldBack };
}

function window(e: ExpectSpec): [number, number] {
  if (e.at !== undefined) return [e.at, e.at];
  if (e.between) return [e.between[0], e.between[1]];
  return [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
}

function describeExpected(e: ExpectSpec): string {
  const time = e.at !== undefined ? ` at ${formatDuration(e.at)}` : e.between ? ` between ${formatDuration(e.between[0])} and ${formatDuration(e.between[1])}` : '';
  const what = e.with ? ` with [${e.with.join(', ')}]` : e.mentions !== undefined ? ` with ${plural(e.mentions, 'mention')}` : '';
  const held = e.held === undefined ? '' : e.held ? ', held back' : ', sent at once';
  return `${e.rule}${time}${what}${held}`;
}

function describeSent(a: SentAlert): string {
  return `${a.rule} at ${a.at} with ${plural(a.mentions.length, 'mention')} [${a.mentions.join(', ')}]${a.heldBack ? ` (held back: ${a.heldBack})` : ''}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');
}

/**
 * Matches expected alerts to sent ones: by rule, then time window, then mentions. Expectations
 * with the earliest windows pick first, each the earliest alert that fits.
 */
function compare(
  expected: readonly ExpectSpec[],
  alerts: readonly SentAlert[],
  sent: readonly ReplayedAlert[],
  start: number,
  labels: Map<number, string>,
  where: (index: number) => string,
): string[] {
  const failures: string[] = [];
  const used = new Set<number>();
  const times = sent.map((a) => Date.parse(a.at) - start);
  const fits = (e: ExpectSpec, i: number) => {
    const [from, to] = window(e);
    const alert = alerts[i]!;
    if (alert.rule !== e.rule || times[i]! < from || times[i]! > to) return false;
    if (e.mentions !== undefined && alert.mentions.length !== e.mentions) return false;
    if (e.held !== undefined && (alert.heldBack !== null) !== e.held) return false;
    if (e.with) {
      const withIds = e.with.map((w) => (/^#\d+$/.test(w) ? (labels.get(Number(w.slice(1))) ?? w) : w));
      if (!sameSet(alert.mentions, withIds)) return false;
    }
    return true;
  };
  const order = expected.map((e, i) => ({ e, i })).sort((a, b) => window(a.e)[0] - window(b.e)[0] || a.i - b.i);
  const missing: Array<{ e: ExpectSpec; i: number }> = [];
  for (const { e, i } of order) {
    const match = alerts.findIndex((_, j) => !used.has(j) && fits(e, j));
    if (match === -1) missing.push({ e, i });
    else used.add(match);
  }
  for (const { e, i } of missing.sort((a, b) => a.i - b.i)) {
    const fired = alerts.some((a) => a.rule === e.rule);
    failures.push(`missing alert: expected ${describeExpected(e)} (${where(i)})${fired ? '' : `; ${e.rule} sent no alert at all`}`);
  }
  alerts.forEach((a, j) => {
    if (!used.has(j)) failures.push(`unexpected alert: ${describeSent(a)}`);
  });
  return failures;
}
