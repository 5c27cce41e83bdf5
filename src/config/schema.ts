/**
 * zod schemas for the user's own YAML: sources/*.yaml and rules/*.yaml. Strict: an unknown key
 * is an error (a typo like `throtle:` must not silently do nothing). Messages say what is
 * expected, because they are read by a person fixing a file.
 */
import { z } from 'zod';
import { SOURCE_TYPES } from '../sources/registry.js';

export {
  BRAND_ID,
  brandIdSchema,
  cronProblem,
  cronSchema,
  durationSchema,
  isValidTimezone,
  oneOrMany,
  timezoneSchema,
} from '../core/primitives.js';
import { brandIdSchema, cronSchema, durationSchema, oneOrMany, timezoneSchema } from '../core/primitives.js';

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
  /** Mentions never to store for this brand: by these authors, or linking to these sites (and their subdomains). */
  exclude: z
    .strictObject({
      authors: z.array(z.string().trim().min(1, 'an author is a name or handle as earshot shows it')).optional(),
      sites: z.array(z.string().regex(/^(?:[a-z0-9-]+\.)+[a-z0-9-]{2,}$/i, 'a site is a host name like example.com (no https://, no path)')).optional(),
    })
    .optional(),
  sources: z.array(z.record(z.string(), z.unknown()), { error: 'sources must be a list of sources' }).min(1, 'list at least one source'),
});
export type BrandFile = z.output<typeof brandFileSchema>;

// ---------------------------------------------------------------- rules/*.yaml

export { GROUP_FIELDS, RULE_TYPES, matchSchema, ruleSchema, budgetSchema, type GroupField, type RuleFile, type RuleMatch } from '../rules/schema.js';
import { budgetSchema, ruleSchema } from '../rules/schema.js';

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
  budgets: z.array(budgetSchema).optional(),
  digests: z.array(digestSchema).optional(),
});
