/**
 * What every rule type shares: the schemas of `match`, `notify`, `throttle`, quiet/active hours
 * and the common fields (strict: unknown keys are errors), and the compile step of those fields.
 * Each rule type adds its own fields in its file (mention.ts, volume.ts, spike.ts, silence.ts).
 */
import { z } from 'zod';
import type { CompiledQuery } from '../analyze/query/index.js';
import { brandIdSchema, durationSchema, oneOrMany, timezoneSchema } from '../core/primitives.js';
import { FLAG_NAMES, FLAG_THRESHOLD, URGENCY_LEVELS } from '../core/types.js';
import { notifierManifests } from '../notifiers/registry.js';
import { SOURCE_TYPES } from '../sources/registry.js';
import { DAYS, GROUP_FIELDS, type CompiledMatch, type NotifyTarget, type RuleBase } from './model.js';

const sentimentLabel = z.enum(['negative', 'neutral', 'positive', 'unknown']);
const sentimentMatch = z.union(
  [
    sentimentLabel.transform((label) => ({ labels: [label] as string[] })),
    z.array(sentimentLabel).min(1).transform((labels) => ({ labels: labels as string[] })),
    z
      .strictObject({ below: z.number().min(-1).max(1).optional(), above: z.number().min(-1).max(1).optional() })
      .refine((v) => v.below !== undefined || v.above !== undefined, 'give below and/or above'),
  ],
  { error: 'sentiment is negative, neutral, positive, a list of them, or { below: -0.5 } / { above: 0.5 }' },
);

export const urgencyLevelSchema = z.enum(URGENCY_LEVELS, { error: `urgency level is one of ${URGENCY_LEVELS.join(', ')}` });
const urgencyMatch = z.union([urgencyLevelSchema.transform((level) => ({ atLeast: level })), z.strictObject({ atLeast: urgencyLevelSchema })], {
  error: `urgency is a level (${URGENCY_LEVELS.join(', ')}) or { atLeast: high }`,
});

const flagName = z.enum(FLAG_NAMES, { error: `a flag is one of ${FLAG_NAMES.join(', ')}` });
const flagThreshold = z.strictObject({ atLeast: z.number().min(0).max(1) });
/** Any of the named flags raised: a name or list (at FLAG_THRESHOLD), or thresholds per flag. */
const flagsMatch = z.union(
  [
    flagName.transform((name) => ({ [name]: FLAG_THRESHOLD }) as Partial<Record<(typeof FLAG_NAMES)[number], number>>),
    z
      .array(flagName)
      .min(1)
      .transform((names) => Object.fromEntries(names.map((n) => [n, FLAG_THRESHOLD])) as Partial<Record<(typeof FLAG_NAMES)[number], number>>),
    z
      .strictObject({ offensive: flagThreshold.optional(), hate: flagThreshold.optional(), irony: flagThreshold.optional() })
      .refine((v) => Object.values(v).some((x) => x !== undefined), 'name at least one flag')
      .transform((v) => Object.fromEntries(Object.entries(v).filter(([, t]) => t !== undefined).map(([n, t]) => [n, t!.atLeast])) as Partial<Record<(typeof FLAG_NAMES)[number], number>>),
  ],
  { error: `flags is a flag (${FLAG_NAMES.join(', ')}), a list of them, or { offensive: { atLeast: 0.8 } }` },
);

export const matchSchema = z.strictObject({
  brand: oneOrMany(brandIdSchema).optional(),
  source: oneOrMany(z.enum(SOURCE_TYPES, { error: `source is one of ${SOURCE_TYPES.join(', ')}` })).optional(),
  sentiment: sentimentMatch.optional(),
  urgency: urgencyMatch.optional(),
  /** Same query language as a brand's query, over title and text. */
  text: z.string().min(1).optional(),
  author: oneOrMany(z.string().min(1)).optional(),
  reach: z.strictObject({ atLeast: z.number().int().min(0) }).optional(),
  language: oneOrMany(z.string().regex(/^([a-z]{2,3}|unknown)$/, 'a language is a 2-letter code like en')).optional(),
  /** Only an author's first mention of the brand (someone new is talking about it). */
  first_from_author: z.boolean().optional(),
  /** Moderation and irony flags: any of the named ones at or above its threshold (0.5 for a name or list). */
  flags: flagsMatch.optional(),
});
export type RuleMatch = z.output<typeof matchSchema>;

/** '{ slack: "#channel" }, { email: address } or { webhook: URL }': every registered notifier. */
export function destinations(): string {
  const each = notifierManifests.map((m) => `{ ${m.type}: ${m.target.placeholder} }`);
  return each.length > 1 ? `${each.slice(0, -1).join(', ')} or ${each.at(-1)}` : each.join('');
}

export const destination = z.string().min(1, 'a destination must not be empty');

/** Exactly one of the registered notifier types, e.g. `{ slack: "#brand-alerts" }`. */
export function namesOneDestination(entry: Record<string, unknown>): boolean {
  return Object.values(entry).filter((v) => v !== undefined).length === 1;
}

const notifySchema = z
  .strictObject(
    Object.fromEntries(notifierManifests.map((m) => [m.type, (m.target.many ? oneOrMany(destination) : destination).optional()])) as Record<
      string,
      z.ZodOptional<z.ZodType<string | string[], string | string[]>>
    >,
  )
  .refine(namesOneDestination, { message: `each notify entry names one destination: ${destinations()}` });
export type NotifyEntry = z.output<typeof notifySchema>;

/** The notifier keys of a notify entry or a budget (the other keys are the budget's own). */
export function destinationFields(entry: object): Record<string, unknown> {
  const record = entry as Record<string, unknown>;
  return Object.fromEntries(notifierManifests.filter((m) => record[m.type] !== undefined).map((m) => [m.type, record[m.type]]));
}

/**
 * The destinations a parsed notify entry or budget names, as [type, target] pairs in the order
 * written (`email: [a, b]` gives two).
 */
export function destinationsOf(entry: object): Array<[string, string]> {
  return Object.entries(destinationFields(entry)).flatMap(([type, value]) =>
    (Array.isArray(value) ? value : [value]).map((target): [string, string] => [type, String(target)]),
  );
}

/** `10m`, or `{ initial: 10m, factor: 2, max: 4h }`: the limit grows while a group keeps firing. */
const throttleSchema = z.union(
  [
    durationSchema.transform((ms) => ({ initialMs: ms, factor: 1, maxMs: ms })),
    z
      .strictObject({ initial: durationSchema, factor: z.number().min(1).max(10).default(2), max: durationSchema })
      .refine((t) => t.max >= t.initial, 'max must be at least initial')
      .transform((t) => ({ initialMs: t.initial, factor: t.factor, maxMs: t.max })),
  ],
  { error: 'throttle is a duration like 10m, or { initial: 10m, factor: 2, max: 4h }' },
);

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day is HH:MM, e.g. 22:00');
const hoursSchema = z.strictObject({
  from: clock,
  to: clock,
  /** Days the window applies to (by its start day); default every day. */
  days: z.array(z.enum(DAYS, { error: `days are ${DAYS.join(', ')}` })).min(1).optional(),
  timezone: timezoneSchema.default('UTC'),
  /** What happens to alerts held back: `deliver` them when the window allows, or send them to the `digest`. */
  then: z.enum(['deliver', 'digest'], { error: 'then is deliver (after the window) or digest' }).default('deliver'),
});

export const commonFields = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a rule name uses letters, digits, -, _ and . (it keys the rule state)'),
  description: z.string().optional(),
  enabled: z.boolean().default(true),
  match: matchSchema.default({}),
  throttle: throttleSchema.optional(),
  /** No alerts during this window (they wait, or go to the digest). */
  quiet_hours: hoursSchema.optional(),
  /** Alerts only during this window (outside it they wait, or go to the digest). */
  active_hours: hoursSchema.optional(),
  /** Alerts about a mention at least this urgent ignore quiet hours, active hours and budgets. */
  break_through: urgencyLevelSchema.optional(),
  /** Later alerts of the same group reply in the thread of its first Slack alert (within 24 h). */
  thread: z.boolean().optional(),
  notify: z.array(notifySchema).min(1, 'notify needs at least one destination'),
};
export const groupBySchema = z.array(z.enum(GROUP_FIELDS, { error: `group_by fields are ${GROUP_FIELDS.join(', ')}` })).optional();


/** The fields of a parsed rule every type has (the output of `commonFields`). */
export type ParsedCommon = z.output<z.ZodObject<typeof commonFields>>;

/** What config loading adds to a parsed rule: the compiled text query, the checked targets, where it was written. */
export interface CompileContext {
  text: CompiledQuery | null;
  notify: NotifyTarget[];
  hash: string;
  file: string;
  line: number;
  col: number;
}

export function compileMatch(match: ParsedCommon['match'], text: CompiledQuery | null): CompiledMatch {
  const sentiment = match.sentiment;
  return {
    brands: match.brand ?? null,
    sources: match.source ?? null,
    sentimentLabels: sentiment && 'labels' in sentiment ? sentiment.labels : null,
    sentimentBelow: sentiment && 'below' in sentiment ? (sentiment.below ?? null) : null,
    sentimentAbove: sentiment && 'above' in sentiment ? (sentiment.above ?? null) : null,
    urgencyAtLeast: match.urgency?.atLeast ?? null,
    text,
    authors: match.author?.map((a) => a.replace(/^@/, '').toLowerCase()) ?? null,
    reachAtLeast: match.reach?.atLeast ?? null,
    languages: match.language ?? null,
    firstFromAuthor: match.first_from_author ?? false,
    flagsAtLeast: match.flags ?? null,
  };
}

/** The fields every compiled rule has. `thread` defaults by type, so each type passes its own. */
export function compileBase(rule: ParsedCommon, ctx: CompileContext, threadByDefault = false): RuleBase {
  return {
    name: rule.name,
    description: rule.description ?? null,
    enabled: rule.enabled,
    match: compileMatch(rule.match, ctx.text),
    throttleMs: rule.throttle?.initialMs ?? 0,
    throttle: rule.throttle ?? null,
    quietHours: rule.quiet_hours ?? null,
    activeHours: rule.active_hours ?? null,
    breakThrough: rule.break_through ?? null,
    thread: rule.thread ?? threadByDefault,
    notify: ctx.notify,
    hash: ctx.hash,
    file: ctx.file,
    line: ctx.line,
    col: ctx.col,
  };
}
