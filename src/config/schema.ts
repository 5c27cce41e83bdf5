/**
 * zod schemas for the user's own YAML: sources/*.yaml and rules/*.yaml. Strict: an unknown key
 * is an error (a typo like `throtle:` must not silently do nothing). Messages say what is
 * expected, because they are read by a person fixing a file.
 */
import { z } from 'zod';
import { Cron } from 'croner';
import { parseDuration } from '../core/duration.js';
import { SOURCE_TYPES, URGENCY_LEVELS } from '../core/types.js';

export const BRAND_ID = /^[a-z0-9][a-z0-9-]*$/;

export const durationSchema = z
  .string({ error: 'expected a duration like 30s, 15m, 2h or 7d (a number with a unit)' })
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration: write it like 30s, 15m, 2h or 7d` });
      return z.NEVER;
    }
    return ms;
  });

export function oneOrMany<T extends z.ZodType>(item: T) {
  return z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);
}

export const brandIdSchema = z
  .string({ error: 'expected a brand id (lower-case letters, digits and -)' })
  .regex(BRAND_ID, 'a brand id uses lower-case letters, digits and - only, e.g. acme-cloud');

export const timezoneSchema = z.string().refine(isValidTimezone, {
  message: 'unknown timezone: use an IANA name like Europe/Berlin, America/New_York or UTC',
});

export const cronSchema = z.string().superRefine((expr, ctx) => {
  const problem = cronProblem(expr);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function cronProblem(expr: string): string | null {
  try {
    const job = new Cron(expr, { paused: true });
    job.stop();
    return null;
  } catch (err) {
    return `invalid cron expression "${expr}": ${(err as Error).message}; e.g. "0 8 * * *" is every day at 08:00`;
  }
}

// ---------------------------------------------------------------- sources/*.yaml

/** Fields every `sources:` entry has; the rest belongs to the source type's own schema. */
export const commonSourceSchema = z.strictObject({
  type: z.enum(SOURCE_TYPES, { error: `type must be one of ${SOURCE_TYPES.join(', ')}` }),
  /** Stable id for this source's state; default '<brand>/<type>' (with '#2', '#3'... for repeats). */
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, 'an id uses lower-case letters, digits and - only')
    .optional(),
  every: durationSchema.optional(),
  alert_backfill: durationSchema.optional(),
  enabled: z.boolean().optional(),
});
export const COMMON_SOURCE_KEYS = Object.keys(commonSourceSchema.shape);

export const brandFileSchema = z.strictObject({
  brand: brandIdSchema,
  name: z.string().min(1, 'name is the display name, e.g. Acme Cloud'),
  query: z.string().min(1, 'query must not be empty'),
  language: oneOrMany(z.string().regex(/^[a-z]{2,3}$/, 'a language is a 2-letter code like en or de')).optional(),
  /** The brand's own handles (without @): a question or complaint addressed to them is urgent. */
  handles: z.array(z.string().regex(/^@?[A-Za-z0-9_.-]+$/, 'a handle looks like acmecloud or @acmecloud')).optional(),
  /** Words whose meaning differs for this brand: weight -1 (negative) .. 1 (positive), 0 = neutral. */
  vocabulary: z.record(z.string(), z.number().min(-1).max(1)).optional(),
  sources: z.array(z.record(z.string(), z.unknown()), { error: 'sources must be a list of sources' }).min(1, 'list at least one source'),
});
export type BrandFile = z.output<typeof brandFileSchema>;

// ---------------------------------------------------------------- rules/*.yaml

export const RULE_TYPES = ['mention'] as const;
export const GROUP_FIELDS = ['brand', 'source', 'author', 'story'] as const;
export type GroupField = (typeof GROUP_FIELDS)[number];

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

const urgencyLevel = z.enum(URGENCY_LEVELS, { error: `urgency level is one of ${URGENCY_LEVELS.join(', ')}` });
const urgencyMatch = z.union([urgencyLevel.transform((level) => ({ atLeast: level })), z.strictObject({ atLeast: urgencyLevel })], {
  error: `urgency is a level (${URGENCY_LEVELS.join(', ')}) or { atLeast: high }`,
});

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
});
export type RuleMatch = z.output<typeof matchSchema>;

const notifySchema = z
  .strictObject({ slack: z.string().min(1).optional(), email: oneOrMany(z.string().min(3)).optional() })
  .refine((n) => (n.slack === undefined) !== (n.email === undefined), {
    message: 'each notify entry is either { slack: "#channel" } or { email: address }',
  });

export const ruleSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a rule name uses letters, digits, -, _ and . (it keys the rule state)'),
  type: z.enum(RULE_TYPES, { error: `type must be one of ${RULE_TYPES.join(', ')}` }).default('mention'),
  description: z.string().optional(),
  enabled: z.boolean().default(true),
  match: matchSchema.default({}),
  throttle: durationSchema.optional(),
  group_by: z.array(z.enum(GROUP_FIELDS, { error: `group_by fields are ${GROUP_FIELDS.join(', ')}` })).optional(),
  group_wait: durationSchema.optional(),
  notify: z.array(notifySchema).min(1, 'notify needs at least one destination'),
});
export type RuleFile = z.output<typeof ruleSchema>;

export const digestSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a digest name uses letters, digits, -, _ and .'),
  brands: z.array(brandIdSchema).min(1).optional(),
  schedule: cronSchema,
  timezone: timezoneSchema.default('UTC'),
  to: z.array(z.string().min(3)).min(1, 'to needs at least one address'),
  /** A period without mentions: `short` sends a short "quiet day" digest, `skip` sends none. */
  quiet_day: z.enum(['short', 'skip'], { error: 'quiet_day is short (a short "quiet day" digest) or skip (none)' }).default('short'),
  /** How long after its time a missed digest (daemon down) is still sent. */
  catch_up: durationSchema.default(6 * 3_600_000),
  /** List-Unsubscribe target: a mailto: address or an https:// URL. */
  list_unsubscribe: z
    .string()
    .regex(/^(mailto:[^\s<>]+@[^\s<>]+|https:\/\/[^\s<>]+)$/, 'list_unsubscribe is a mailto: address or an https:// URL')
    .optional(),
});

export const rulesFileSchema = z.strictObject({
  rules: z.array(ruleSchema).optional(),
  digests: z.array(digestSchema).optional(),
});
