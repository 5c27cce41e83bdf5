/**
 * JSON Schemas for sources/*.yaml and rules/*.yaml, generated from the zod schemas the loader
 * uses, so an editor (yaml-language-server, IntelliJ) completes and checks the same fields the
 * daemon accepts. `npm run schemas` writes them to schemas/; a test fails when the committed
 * files differ from what this module produces, so they never drift from the code.
 *
 * The schemas describe what a person WRITES (zod's `io: 'input'`): a duration is a string like
 * `15m`, a field with a default is optional. What JSON Schema cannot say (refinements such as
 * "exactly one of slack or email", cron syntax, whether a timezone exists) is left to
 * `earshot check`; the schemas never reject a file that earshot accepts.
 */
import { z } from 'zod';
import { formatDuration } from '../core/duration.js';
import { ruleTestFileSchema } from './rule-tests.js';
import { sourceManifests } from '../sources/registry.js';
import { brandFileSchema, commonSourceSchema, cronSchema, durationSchema, rulesFileSchema, timezoneSchema } from './schema.js';

export type JsonSchema = Record<string, unknown>;

/** The file names under schemas/ and what each one describes. */
export const SCHEMA_FILES = {
  rules: 'rules.schema.json',
  sources: 'sources.schema.json',
  ruleTests: 'rules-test.schema.json',
} as const;

/**
 * The syntax parseDuration accepts (src/core/duration.ts), as a JSON Schema pattern: one or more
 * number+unit parts (`90s`, `1h30m`, `1.5h`) or a bare `0`.
 */
export const DURATION_PATTERN = '^\\s*(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h|d|w))+)\\s*$';
const DURATION_DESCRIPTION = 'A duration: a number with a unit (ms, s, m, h, d, w), e.g. 30s, 15m, 2h, 7d or 1h30m.';
const CRON_DESCRIPTION = 'A cron expression: minute hour day-of-month month day-of-week, e.g. "0 8 * * *" (every day at 08:00).';
const TIMEZONE_DESCRIPTION = 'An IANA timezone name, e.g. Europe/Berlin, America/New_York or UTC.';

type OverrideContext = { zodSchema: unknown; jsonSchema: JsonSchema };

/** Marks durations, cron expressions and timezones: they are plain strings to JSON Schema. */
function describePrimitives({ zodSchema, jsonSchema }: OverrideContext): void {
  if (zodSchema === durationSchema) {
    jsonSchema.pattern = DURATION_PATTERN;
    jsonSchema.description ??= DURATION_DESCRIPTION;
    return;
  }
  if (zodSchema === cronSchema) jsonSchema.description ??= CRON_DESCRIPTION;
  if (zodSchema === timezoneSchema) jsonSchema.description ??= TIMEZONE_DESCRIPTION;
  // zod leaves out the default of a transformed field (it is the output, in milliseconds);
  // shown as the text a user would write.
  if (zodSchema instanceof z.ZodDefault && zodSchema.def.innerType === durationSchema) {
    const ms: unknown = zodSchema.def.defaultValue;
    if (typeof ms === 'number') jsonSchema.default = formatDuration(ms);
  }
}

/**
 * A `z.preprocess` that fills in keys before a discriminated union (a rule without `type:` is a
 * `mention` rule) makes those keys optional in what users write. Found by running the
 * preprocess step on an empty object, so a changed default is picked up by regeneration.
 */
function relaxPreprocessedDefaults({ zodSchema, jsonSchema }: OverrideContext): void {
  if (!(zodSchema instanceof z.ZodPipe)) return;
  const first = zodSchema.def.in;
  if (!(first instanceof z.ZodTransform)) return;
  let filled: unknown;
  try {
    filled = first.def.transform({}, { value: {}, issues: [] } as never);
  } catch {
    return;
  }
  if (!filled || typeof filled !== 'object' || filled instanceof Promise) return;
  const defaults = Object.entries(filled as Record<string, unknown>).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v));
  if (defaults.length === 0) return;
  for (const key of ['oneOf', 'anyOf'] as const) {
    const branches = jsonSchema[key];
    if (!Array.isArray(branches)) continue;
    jsonSchema[key] = branches.map((branch: JsonSchema) => relaxBranch(branch, defaults));
  }
}

function relaxBranch(branch: JsonSchema, defaults: Array<[string, unknown]>): JsonSchema {
  const properties = branch.properties as Record<string, JsonSchema> | undefined;
  if (!properties) return branch;
  const out: JsonSchema = { ...branch, properties: { ...properties } };
  let required = Array.isArray(branch.required) ? [...(branch.required as string[])] : [];
  for (const [name, value] of defaults) {
    const property = properties[name];
    if (!property || property.const !== value) continue;
    (out.properties as Record<string, JsonSchema>)[name] = { ...property, default: value };
    required = required.filter((r) => r !== name);
  }
  if (required.length > 0) out.required = required;
  else delete out.required;
  return out;
}

function generate(schema: z.ZodType, meta: { title: string; description: string }): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-07',
    io: 'input',
    // A field JSON Schema cannot describe (z.custom, z.date...) fails generation rather than
    // silently becoming "anything goes" in every editor.
    unrepresentable: 'throw',
    override: (ctx) => {
      const c = ctx as unknown as OverrideContext;
      describePrimitives(c);
      relaxPreprocessedDefaults(c);
    },
  }) as JsonSchema;
  const { $schema, ...rest } = json;
  return { $schema, title: meta.title, description: meta.description, ...rest };
}

/** One `sources:` entry per source type: the common fields plus the type's own settings. */
function sourceEntrySchema(): z.ZodType {
  const { type: _type, ...common } = commonSourceSchema.shape;
  const variants = sourceManifests.map((plugin) => {
    const settings = plugin.schema() as unknown;
    if (!(settings instanceof z.ZodObject)) {
      throw new Error(`source type ${plugin.type}: its schema is not a z.object, so its fields cannot be listed in the JSON Schema`);
    }
    return z.strictObject({ type: z.literal(plugin.type), ...common, ...settings.shape });
  });
  const [first, ...others] = variants;
  if (!first) throw new Error('no source types are registered');
  return z.discriminatedUnion('type', [first, ...others]);
}

export function rulesJsonSchema(): JsonSchema {
  return generate(rulesFileSchema, {
    title: 'earshot rules file (rules/*.yaml)',
    description: 'Alert rules, budgets and digests. Generated from earshot\'s zod schemas by `npm run schemas`; `earshot check` is the final word.',
  });
}

export function sourcesJsonSchema(): JsonSchema {
  const file = brandFileSchema.extend({
    sources: z.array(sourceEntrySchema()).min(1),
  });
  return generate(file, {
    title: 'earshot brand file (sources/*.yaml)',
    description: 'A brand: what to listen for and where. Generated from earshot\'s zod schemas by `npm run schemas`; `earshot check` is the final word.',
  });
}

export function ruleTestsJsonSchema(): JsonSchema {
  return generate(ruleTestFileSchema, {
    title: 'earshot rule unit tests (rules/*.test.yaml)',
    description: 'Mentions on a timeline and the alerts the rules must send; run with `earshot rules test`. Generated by `npm run schemas`.',
  });
}

/** The schema files as written to schemas/: stable key order, two-space indent, final newline. */
export function schemaFileContents(): Record<string, string> {
  return {
    [SCHEMA_FILES.rules]: `${JSON.stringify(rulesJsonSchema(), null, 2)}\n`,
    [SCHEMA_FILES.sources]: `${JSON.stringify(sourcesJsonSchema(), null, 2)}\n`,
    [SCHEMA_FILES.ruleTests]: `${JSON.stringify(ruleTestsJsonSchema(), null, 2)}\n`,
  };
}
