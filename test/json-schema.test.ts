/**
 * The JSON Schemas in schemas/: committed files equal the generator's output (no drift), the
 * repo's example files validate, and on a table of documents the schemas agree with earshot's own
 * validation (zod via loadConfig): never reject what earshot accepts, and reject what they can
 * express. Validated with a small JSON Schema checker for the keywords the generator emits; an
 * unknown keyword fails the test, so the checker can never silently wave a document through.
 */
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DURATION_PATTERN, schemaFileContents, SCHEMA_FILES, type JsonSchema } from '../src/config/json-schema.js';
import { loadConfig } from '../src/config/load.js';
import { RULE_TYPES, matchSchema } from '../src/config/schema.js';
import { parseDuration } from '../src/core/duration.js';
import { sourcePlugins } from '../src/sources/registry.js';
import { repoRoot } from './helpers/cli.js';

// ------------------------------------------------------------ a checker for the emitted subset

const ANNOTATIONS = new Set(['$schema', 'title', 'description', 'default', 'format', 'examples']);
const KNOWN = new Set([
  ...ANNOTATIONS,
  'type', 'properties', 'required', 'additionalProperties', 'propertyNames', 'items', 'additionalItems', 'minItems', 'maxItems',
  'enum', 'const', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
  'anyOf', 'oneOf', 'allOf',
]);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(expected: string, value: unknown): boolean {
  const actual = typeOf(value);
  return expected === actual || (expected === 'number' && actual === 'integer');
}

/** Errors as `path: what`; empty when the value is valid. */
function validate(schema: JsonSchema, value: unknown, path = '$'): string[] {
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) throw new Error(`checker does not know keyword "${key}" at ${path}`);
  const errors: string[] = [];
  const fail = (message: string) => errors.push(`${path}: ${message}`);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => typeMatches(t, value))) return [`${path}: expected ${types.join('|')}, got ${typeOf(value)}`];
  }
  if (schema.enum && !(schema.enum as unknown[]).some((e) => e === value)) fail(`not one of ${JSON.stringify(schema.enum)}`);
  if ('const' in schema && schema.const !== value) fail(`expected ${JSON.stringify(schema.const)}`);
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) fail(`does not match ${schema.pattern}`);
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) fail('too short');
    if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) fail('too long');
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) fail(`below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) fail(`above ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) fail(`not above ${schema.exclusiveMinimum}`);
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) fail(`not below ${schema.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) fail(`fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) fail(`more than ${schema.maxItems} items`);
    if (Array.isArray(schema.items)) {
      // A tuple (draft-07): one schema per position; additionalItems: false forbids more.
      const positional = schema.items as JsonSchema[];
      value.forEach((item, i) => {
        const sub = positional[i];
        if (sub) errors.push(...validate(sub, item, `${path}[${i}]`));
        else if (schema.additionalItems === false) fail(`no item allowed at position ${i}`);
      });
    } else if (schema.items) value.forEach((item, i) => errors.push(...validate(schema.items as JsonSchema, item, `${path}[${i}]`)));
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const name of (schema.required ?? []) as string[]) if (!(name in object)) fail(`missing required "${name}"`);
    for (const [name, v] of Object.entries(object)) {
      if (schema.propertyNames) errors.push(...validate(schema.propertyNames as JsonSchema, name, `${path}.${name}(name)`));
      const property = properties[name];
      if (property) errors.push(...validate(property, v, `${path}.${name}`));
      else if (schema.additionalProperties === false) fail(`unknown property "${name}"`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...validate(schema.additionalProperties as JsonSchema, v, `${path}.${name}`));
    }
  }
  for (const sub of (schema.allOf ?? []) as JsonSchema[]) errors.push(...validate(sub, value, path));
  if (schema.anyOf) {
    const results = (schema.anyOf as JsonSchema[]).map((s) => validate(s, value, path));
    if (!results.some((r) => r.length === 0)) fail(`matches none of anyOf: ${results.map((r) => r.join('; ')).join(' | ')}`);
  }
  if (schema.oneOf) {
    const results = (schema.oneOf as JsonSchema[]).map((s) => validate(s, value, path));
    const passing = results.filter((r) => r.length === 0).length;
    if (passing !== 1) fail(passing === 0 ? `matches none of oneOf: ${results.map((r) => r.join('; ')).join(' | ')}` : `matches ${passing} branches of oneOf`);
  }
  return errors;
}

// ------------------------------------------------------------ fixtures

const files = schemaFileContents();
const rulesSchema = JSON.parse(files[SCHEMA_FILES.rules]!) as JsonSchema;
const sourcesSchema = JSON.parse(files[SCHEMA_FILES.sources]!) as JsonSchema;
const ruleTestsSchema = JSON.parse(files[SCHEMA_FILES.ruleTests]!) as JsonSchema;

const BRAND = 'brand: acme\nname: Acme Cloud\nquery: acme\nsources:\n  - type: rss\n    url: https://example.com/feed.xml\n';

/** earshot's own verdict: the errors loadConfig reports for this file (warnings ignored). */
function earshotErrors(kind: 'sources' | 'rules', yaml: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-jsonschema-'));
  mkdirSync(join(dir, 'sources'));
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'sources', 'acme.yaml'), kind === 'sources' ? yaml : BRAND);
  if (kind === 'rules') writeFileSync(join(dir, 'rules', 'alerts.yaml'), yaml);
  const { problems } = loadConfig(dir, {});
  return problems.filter((p) => p.severity === 'error').map((p) => `${p.path}: ${p.message}`);
}

function schemaErrors(kind: 'sources' | 'rules', yaml: string): string[] {
  return validate(kind === 'rules' ? rulesSchema : sourcesSchema, parse(yaml) as unknown);
}

const rule = (body: string) => `rules:\n  - name: r\n    notify: [{ slack: "#alerts" }]\n${body.replace(/^/gm, '    ')}\n`;
const source = (body: string) => `brand: acme\nname: Acme\nquery: acme\nsources:\n  - ${body.replace(/\n/g, '\n    ')}\n`;

/** The least each registered source type needs; a new type without an entry here fails the table. */
const MINIMAL_SOURCE: Record<string, string> = {
  rss: 'type: rss\nurl: https://example.com/feed.xml',
  reddit: 'type: reddit\nsearch: acme\nsubreddits: [devops]',
  twitter: 'type: twitter\nquery: acme',
  hackernews: 'type: hackernews\nquery: acme',
  bluesky: 'type: bluesky\nquery: acme',
  mastodon: 'type: mastodon\ninstance: mastodon.social\nhashtag: acme',
};

/** `both`: valid for earshot and the schema; `bad`: rejected by both; `check-only`: only `earshot check` can tell. */
type Verdict = 'both' | 'bad' | 'check-only';
const CASES: Array<[string, 'sources' | 'rules', string, Verdict]> = [
  ['rule without a type (a mention rule)', 'rules', rule('match: { brand: acme, sentiment: negative }'), 'both'],
  ['mention rule with group_by, throttle object', 'rules', rule('type: mention\ngroup_by: [brand, story]\ngroup_wait: 30s\nthrottle: { initial: 10m, factor: 2, max: 4h }'), 'both'],
  ['volume rule', 'rules', rule('type: volume\nwindow: 1h\ncount: 20'), 'both'],
  ['spike rule with defaults', 'rules', rule('type: spike\nwindow: 1h'), 'both'],
  ['silence rule', 'rules', rule('type: silence\nfor: 6h\nmatch: { brand: acme }'), 'both'],
  ['quiet hours, list sentiment, urgency object', 'rules', rule('quiet_hours: { from: "22:00", to: "07:00", timezone: Europe/Berlin }\nmatch: { sentiment: [negative, neutral], urgency: { atLeast: high } }'), 'both'],
  ['sentiment range, reach, language', 'rules', rule('match: { sentiment: { below: -0.5 }, reach: { atLeast: 1000 }, language: [en, de] }'), 'both'],
  ['compound duration', 'rules', rule('throttle: 1h30m'), 'both'],
  ['budgets and digests', 'rules', 'budgets:\n  - { slack: "#alerts", max: 5, per: 1h }\ndigests:\n  - name: daily\n    schedule: "0 8 * * *"\n    to: [team@example.com]\n    catch_up: 2h\n', 'both'],
  ['misspelt key', 'rules', rule('throtle: 10m'), 'bad'],
  ['unknown sentiment label', 'rules', rule('match: { sentiment: angry }'), 'bad'],
  ['duration in words', 'rules', rule('throttle: 10 minutes'), 'bad'],
  ['duration as a number', 'rules', rule('type: volume\nwindow: 15\ncount: 3'), 'bad'],
  ['unknown rule type', 'rules', rule('type: burst'), 'bad'],
  ['volume rule without count', 'rules', rule('type: volume\nwindow: 1h'), 'bad'],
  ['unknown group_by field', 'rules', rule('group_by: [color]'), 'bad'],
  ['rule without notify', 'rules', 'rules:\n  - name: r\n    match: { brand: acme }\n', 'bad'],
  ['bad rule name', 'rules', 'rules:\n  - name: "my rule!"\n    notify: [{ slack: "#a" }]\n', 'bad'],
  ['invalid cron', 'rules', 'digests:\n  - name: daily\n    schedule: "every morning"\n    to: [team@example.com]\n', 'check-only'],
  ['unknown timezone', 'rules', rule('quiet_hours: { from: "22:00", to: "07:00", timezone: Mars/Olympus }'), 'check-only'],
  ['slack and email in one notify entry', 'rules', 'rules:\n  - name: r\n    notify: [{ slack: "#a", email: a@example.com }]\n', 'check-only'],
  ...sourcePlugins.map((p): [string, 'sources', string, Verdict] => [`a minimal ${p.type} source`, 'sources', source(MINIMAL_SOURCE[p.type] ?? `type: ${p.type}`), 'both']),
  ['common fields', 'sources', source('type: rss\nid: main-feed\nurl: https://example.com/feed.xml\nevery: 15m\nalert_backfill: 1h\nenabled: false'), 'both'],
  ['language list, handles, vocabulary', 'sources', `brand: acme\nname: Acme\nquery: acme\nlanguage: [en, de]\nhandles: ["@acme"]\nvocabulary: { sick: 0.6 }\nsources:\n  - { type: hackernews, query: acme, tags: [story] }\n`, 'both'],
  ['unknown source type', 'sources', source('type: myspace\nurl: https://example.com'), 'bad'],
  ['rss without url', 'sources', source('type: rss\nevery: 15m'), 'bad'],
  ['a field of another source type', 'sources', source('type: rss\nurl: https://example.com/feed.xml\nsubreddits: [devops]'), 'bad'],
  ['misspelt common field', 'sources', source('type: rss\nurl: https://example.com/feed.xml\nevrey: 15m'), 'bad'],
  ['unknown hackernews tag', 'sources', source('type: hackernews\nquery: acme\ntags: [jobs]'), 'bad'],
  ['every as a number', 'sources', source('type: rss\nurl: https://example.com/feed.xml\nevery: 15'), 'bad'],
  ['no sources', 'sources', 'brand: acme\nname: Acme\nquery: acme\nsources: []\n', 'bad'],
  ['brand id with capitals', 'sources', `brand: Acme\nname: Acme\nquery: acme\nsources:\n  - { type: rss, url: https://example.com/f.xml }\n`, 'bad'],
  ['mastodon with both hashtag and query', 'sources', source('type: mastodon\ninstance: mastodon.social\nhashtag: acme\nquery: acme'), 'check-only'],
];


// ------------------------------------------------------------ tests

describe('schemas/ (generated JSON Schema)', () => {
  it.each(Object.keys(files))('schemas/%s is what `npm run schemas` generates', (name) => {
    const committed = readFileSync(join(repoRoot, 'schemas', name), 'utf8');
    expect(committed, `schemas/${name} is out of date: run \`npm run schemas\` and commit schemas/`).toBe(files[name]);
  });

  it('the repo example files validate and reference their schema on the first line', () => {
    for (const [folder, schema, file, pattern] of [
      ['sources', sourcesSchema, SCHEMA_FILES.sources, /\.ya?ml$/],
      ['rules', rulesSchema, SCHEMA_FILES.rules, /(?<!\.test)\.ya?ml$/],
      ['rules', ruleTestsSchema, SCHEMA_FILES.ruleTests, /\.test\.ya?ml$/],
    ] as const) {
      const names = readdirSync(join(repoRoot, folder)).filter((n) => pattern.test(n));
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        const text = readFileSync(join(repoRoot, folder, name), 'utf8');
        expect(text.split('\n')[0], `${folder}/${name}`).toBe(`# yaml-language-server: $schema=../schemas/${file}`);
        expect(validate(schema, parse(text)), `${folder}/${name}`).toEqual([]);
      }
    }
  });

  it('lists every rule type, every match field and every registered source type', () => {
    const branches = ((rulesSchema.properties as Record<string, JsonSchema>).rules!.items as JsonSchema).oneOf as JsonSchema[];
    const types = branches.map((b) => (b.properties as Record<string, JsonSchema>).type!.const);
    expect(types).toEqual([...RULE_TYPES]);
    for (const branch of branches) {
      const match = (branch.properties as Record<string, JsonSchema>).match!;
      expect(Object.keys(match.properties as object)).toEqual(Object.keys(matchSchema.shape));
      // `type` may be left out only where the loader fills it in (mention).
      const required = (branch.required ?? []) as string[];
      const type = (branch.properties as Record<string, JsonSchema>).type!.const;
      expect(required.includes('type')).toBe(type !== 'mention');
    }
    const sourceBranches = (((sourcesSchema.properties as Record<string, JsonSchema>).sources!.items as JsonSchema).oneOf ?? []) as JsonSchema[];
    expect(sourceBranches.map((b) => (b.properties as Record<string, JsonSchema>).type!.const)).toEqual(sourcePlugins.map((p) => p.type));
  });

  it('the rule test schema accepts the documented format and rejects a misspelt key or a bad time', () => {
    const good = 'tests:\n  - name: t\n    rules: [r]\n    until: 1h\n    mentions:\n      - { at: 0s, text: a, sentiment: { label: negative, score: -0.8 }, urgency: 0.7, repeat: 3, every: 1m, id: m }\n    expect:\n      - { rule: r, between: [0s, 1m], mentions: 1, with: [m.1] }\n      - { rule: r, at: 2m, with: ["#2"] }\n';
    expect(validate(ruleTestsSchema, parse(good))).toEqual([]);
    expect(validate(ruleTestsSchema, parse(good.replace('mentions:\n', 'mentoins:\n')))).not.toEqual([]);
    expect(validate(ruleTestsSchema, parse(good.replace('at: 2m', 'at: 2 minutes')))).not.toEqual([]);
    expect(validate(ruleTestsSchema, parse(good.replace('[0s, 1m]', '[0s, 1m, 2m]')))).not.toEqual([]);
  });

  it('durations are strings with a pattern, and defaults are written as users write them', () => {
    const digest = (((rulesSchema.properties as Record<string, JsonSchema>).digests!.items as JsonSchema).properties as Record<string, JsonSchema>);
    expect(digest.catch_up).toMatchObject({ type: 'string', pattern: DURATION_PATTERN, default: '6h' });
    expect(digest.timezone).toMatchObject({ type: 'string', default: 'UTC' });
  });

  it.each(CASES)('%s (%s): %s', (_name, kind, yaml, verdict) => {
    const earshot = earshotErrors(kind, yaml);
    const schema = schemaErrors(kind, yaml);
    if (verdict === 'both') {
      expect(earshot).toEqual([]);
      expect(schema).toEqual([]);
    } else if (verdict === 'bad') {
      expect(earshot).not.toEqual([]);
      expect(schema).not.toEqual([]);
    } else {
      expect(earshot).not.toEqual([]);
      // The schema cannot express it; it must not reject the document for some other reason.
      expect(schema).toEqual([]);
    }
  });

  it('the duration pattern accepts exactly what parseDuration accepts', () => {
    const pattern = new RegExp(DURATION_PATTERN, 'u');
    const text = fc.string({ unit: fc.constantFrom(...'0123456789.mshdw x'.split('')), maxLength: 8 });
    fc.assert(
      fc.property(text, (s) => pattern.test(s) === (parseDuration(s) !== null)),
      { numRuns: 3000 },
    );
    for (const s of ['0', '90s', '1h30m', '1.5h', '250ms', '2w']) expect(pattern.test(s), s).toBe(true);
    for (const s of ['', '15', '1 h', 'h', '1.h', '10 minutes']) expect(pattern.test(s), s).toBe(false);
  });
});
