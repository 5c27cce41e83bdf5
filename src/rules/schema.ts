/**
 * zod schemas of the rules in rules/*.yaml: one schema per rule type, a discriminated union on
 * `type` (default `mention`), plus `budgets:`. Strict: unknown keys are errors.
 */
import { z } from 'zod';
import { brandIdSchema, durationSchema, oneOrMany, timezoneSchema } from '../config/primitives.js';
import { FLAG_NAMES, FLAG_THRESHOLD, URGENCY_LEVELS } from '../core/types.js';
import { notifierManifests } from '../notifiers/registry.js';
import { SOURCE_TYPES } from '../sources/registry.js';

export const RULE_TYPES = ['mention', 'volume', 'spike', 'silence'] as const;
export type RuleType = (typeof RULE_TYPES)[number];
export const GROUP_FIELDS = ['brand', 'source', 'author', 'story'] as const;
export type GroupField = (typeof GROUP_FIELDS)[number];
export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

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
function destinations(): string {
  const each = notifierManifests.map((m) => `{ ${m.type}: ${m.target.placeholder} }`);
  return each.length > 1 ? `${each.slice(0, -1).join(', ')} or ${each.at(-1)}` : each.join('');
}

const destination = z.string().min(1, 'a destination must not be empty');

/** Exactly one of the registered notifier types, e.g. `{ slack: "#brand-alerts" }`. */
function namesOneDestination(entry: Record<string, unknown>): boolean {
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
function destinationFields(entry: object): Record<string, unknown> {
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
export type HoursWindow = z.output<typeof hoursSchema>;

const common = {
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
const groupBy = z.array(z.enum(GROUP_FIELDS, { error: `group_by fields are ${GROUP_FIELDS.join(', ')}` })).optional();

export const mentionRuleSchema = z.strictObject({
  ...common,
  type: z.literal('mention'),
  group_by: groupBy,
  group_wait: durationSchema.optional(),
});

export const volumeRuleSchema = z.strictObject({
  ...common,
  type: z.literal('volume'),
  /** Fires when at least `count` matching mentions were published within `window`. */
  window: durationSchema,
  count: z.number().int().min(1),
  group_by: groupBy,
});

export const spikeRuleSchema = z.strictObject({
  ...common,
  type: z.literal('spike'),
  /** Mentions in the last `window` against the average of the `baseline` windows before it. */
  window: durationSchema,
  factor: z.number().gt(1, 'factor must be above 1').default(3),
  /** Never fires below this many mentions in the window (a jump from 2 to 6 is not news). */
  min_count: z.number().int().min(1).default(10),
  /** Number of earlier windows averaged as the baseline; no alert until that much history exists. */
  baseline: z.number().int().min(2).max(1000).default(24),
  /** up: more than usual; down: far fewer (a feed broke?); both. */
  direction: z.enum(['up', 'down', 'both']).default('up'),
  group_by: groupBy,
});

export const silenceRuleSchema = z
  .strictObject({
    ...common,
    type: z.literal('silence'),
    /** Fires when nothing happened for this long. */
    for: durationSchema,
    /** mentions: no new mentions; polls: no successful poll; either (default): whichever comes first. */
    of: z.enum(['mentions', 'polls', 'either']).default('either'),
  })
  .superRefine((rule, ctx) => {
    const allowed = new Set(['brand', 'source']);
    for (const key of Object.keys(rule.match)) {
      if (!allowed.has(key)) {
        ctx.addIssue({ code: 'custom', path: ['match', key], message: 'a silence rule matches on brand and source only' });
      }
    }
  });

export const ruleSchema = z.preprocess(
  (value) => (value && typeof value === 'object' && !Array.isArray(value) && !('type' in value) ? { ...value, type: 'mention' } : value),
  z.discriminatedUnion('type', [mentionRuleSchema, volumeRuleSchema, spikeRuleSchema, silenceRuleSchema], {
    error: `type must be one of ${RULE_TYPES.join(', ')}`,
  }),
);
export type RuleFile = z.output<typeof ruleSchema>;

const budgetFields = {
  /** At most this many alerts per `per` to the destination; the rest go to the digest, counted. */
  max: z.number().int().min(1),
  per: durationSchema.default(3_600_000),
  break_through: urgencyLevelSchema.optional(),
};
export const budgetSchema = z
  .strictObject({
    ...(Object.fromEntries(notifierManifests.map((m) => [m.type, destination.optional()])) as Record<string, z.ZodOptional<typeof destination>>),
    ...budgetFields,
  })
  .refine((b) => namesOneDestination(destinationFields(b)), {
    message: `a budget names one destination: ${destinations()}`,
  });
export type BudgetFile = z.output<typeof budgetSchema>;
