/**
 * zod schemas of rules/*.yaml's `rules:` and `budgets:`: a discriminated union on `type`
 * (default `mention`) of the four rule types' schemas, each in its type's file. Strict: unknown
 * keys are errors. `compileRule` turns a parsed rule into the model (model.ts).
 */
import { z } from 'zod';
import { durationSchema } from '../core/primitives.js';
import { notifierManifests } from '../notifiers/registry.js';
import { destination, destinationFields, destinations, namesOneDestination, urgencyLevelSchema, type CompileContext } from './common.js';
import { compileMentionRule, mentionRuleSchema } from './mention.js';
import { RULE_TYPES, type RuleConfig } from './model.js';
import { compileSilenceRule, silenceRuleSchema } from './silence.js';
import { compileSpikeRule, spikeRuleSchema } from './spike.js';
import { compileVolumeRule, volumeRuleSchema } from './volume.js';

export { destinationsOf, matchSchema, type CompileContext, type RuleMatch } from './common.js';
export { DAYS, GROUP_FIELDS, RULE_TYPES, type GroupField, type HoursWindow, type RuleType } from './model.js';

export const ruleSchema = z.preprocess(
  (value) => (value && typeof value === 'object' && !Array.isArray(value) && !('type' in value) ? { ...value, type: 'mention' } : value),
  z.discriminatedUnion('type', [mentionRuleSchema, volumeRuleSchema, spikeRuleSchema, silenceRuleSchema], {
    error: `type must be one of ${RULE_TYPES.join(', ')}`,
  }),
);
export type RuleFile = z.output<typeof ruleSchema>;

/** The compiled rule of a parsed one, by its type. */
export function compileRule(rule: RuleFile, ctx: CompileContext): RuleConfig {
  switch (rule.type) {
    case 'mention':
      return compileMentionRule(rule, ctx);
    case 'volume':
      return compileVolumeRule(rule, ctx);
    case 'spike':
      return compileSpikeRule(rule, ctx);
    case 'silence':
      return compileSilenceRule(rule, ctx);
  }
}

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
