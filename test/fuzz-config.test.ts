/**
 * Fuzz of the YAML config loader (fast-check, seeded per run, bounded in time): `loadConfig` on
 * generated deployments (structured configs with arbitrary field values and unknown keys, and
 * byte-level mutations of valid files with YAML's special characters) never throws, never takes
 * long, and always returns either problems (each with a file in the deployment, a position
 * inside it and a message) or a usable config. The query parser has its own fuzz test
 * (src/analyze/query/property.test.ts).
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { formatProblem, hasErrors } from '../src/config/problems.js';

const SEED = Number(process.env.EARSHOT_FUZZ_SEED ?? Date.now() % 2 ** 31);
const root = mkdtempSync(join(tmpdir(), 'earshot-fuzz-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const GOOD_SOURCES = `brand: acme
name: Acme Cloud
query: '"acme cloud" OR acmecloud -jobs'
language: [en]
handles: [acmecloud]
vocabulary: { sick: 0.6 }
sources:
  - type: rss
    url: https://example.com/feed.xml
    every: 15m
    alert_backfill: 1h
  - type: reddit
    search: acme cloud
    subreddits: [devops]
  - type: hackernews
    query: acme cloud
`;
const GOOD_RULES = `rules:
  - name: negative-mention
    type: mention
    match:
      brand: acme
      source: [rss, reddit]
      sentiment: { below: -0.5 }
      urgency: { atLeast: high }
      text: 'refund OR outage'
    throttle: 10m
    group_by: [brand]
    group_wait: 30s
    notify:
      - slack: "#brand-alerts"
      - email: pr@example.com
digests:
  - name: daily
    brands: [acme]
    schedule: "0 8 * * *"
    timezone: Europe/Berlin
    to: [pr@example.com]
`;

// Values that exercise the schema: right and wrong types, durations, queries, ids, odd strings.
const scalar = fc.oneof(
  fc.constantFrom('acme', '15m', '0s', '-5m', '99999999d', 'soon', '"acme cloud"', '(', 'a OR', '#brand-alerts', 'C0123ABCD', 'pr@example.com', 'not an email', 'https://example.com/f.xml', 'ftp://x', '', ' ', 'Europe/Berlin', 'Mars/Base', '0 8 * * *', '61 * * * *', 'negative', 'critical', 'story'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 20 }),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, scalar, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('type', 'url', 'every', 'below', 'above', 'atLeast', 'slack', 'email', 'x', 'brand', 'name'), tie('v'), { maxKeys: 3 })),
})).v;

const sourceEntry = fc.record(
  { type: fc.constantFrom('rss', 'reddit', 'twitter', 'hackernews', 'bluesky', 'mastodon', 'nope'), url: value, every: value, alert_backfill: value, id: value, enabled: value, search: value, query: value, instance: value, hashtag: value, subreddits: value, extra_key: value },
  { requiredKeys: ['type'] },
);
const brandFile = fc.record(
  { brand: value, name: value, query: value, language: value, handles: value, vocabulary: value, sources: fc.oneof(fc.array(sourceEntry, { maxLength: 3 }), value), typo_key: value },
  { requiredKeys: [] },
);
const ruleEntry = fc.record(
  { name: value, type: fc.oneof(fc.constantFrom('mention', 'volume', 'spike', 'silence'), value), match: value, throttle: value, group_by: value, group_wait: value, notify: fc.oneof(fc.array(fc.oneof(fc.record({ slack: value }), fc.record({ email: value }), value), { maxLength: 3 }), value), threshold: value, window: value, quiet_hours: value, thread: value },
  { requiredKeys: [] },
);
const rulesFile = fc.record({ rules: fc.oneof(fc.array(ruleEntry, { maxLength: 3 }), value), digests: value, budgets: value, unknown: value }, { requiredKeys: [] });

const SPECIAL = [':', ': ', '-', '- ', '\t', '\n', '  ', '&a ', '*a', '!!str ', '!!binary ', '{', '}', '[', ']', "'", '"', '#', '|', '>', '%YAML 1.2\n', '---\n', '...\n', '@', '`', '?', ',', '\u0000', '\uFEFF', '<<: ', '~', '\r'];
type Edit = { at: number; del: number; insert: string };
const edits = fc.array(fc.record({ at: fc.nat(), del: fc.integer({ min: 0, max: 4 }), insert: fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ maxLength: 4 })) }), { minLength: 1, maxLength: 4 });
function applyEdits(text: string, list: Edit[]): string {
  let out = text;
  for (const e of list) {
    const at = e.at % (out.length + 1);
    out = out.slice(0, at) + e.insert + out.slice(at + e.del);
  }
  return out;
}

const deployment = fc.oneof(
  fc.record({ sources: brandFile.map((v) => stringify(v)), rules: rulesFile.map((v) => stringify(v)) }),
  fc.record({ sources: edits.map((e) => applyEdits(GOOD_SOURCES, e)), rules: fc.constant(GOOD_RULES) }),
  fc.record({ sources: fc.constant(GOOD_SOURCES), rules: edits.map((e) => applyEdits(GOOD_RULES, e)) }),
  fc.record({ sources: edits.map((e) => applyEdits(GOOD_SOURCES, e)), rules: edits.map((e) => applyEdits(GOOD_RULES, e)) }),
);

mkdirSync(join(root, 'sources'));
mkdirSync(join(root, 'rules'));
/** One deployment directory, rewritten for each input (the loader reads the files afresh). */
function write(files: { sources: string; rules: string }): string {
  const dir = root;
  writeFileSync(join(dir, 'sources/acme.yaml'), files.sources);
  writeFileSync(join(dir, 'rules/alerts.yaml'), files.rules);
  return dir;
}

describe('fuzz: YAML config loader', () => {
  it('never throws and returns positioned problems or a usable config', () => {
    const env = { SLACK_BOT_TOKEN: 'x', SMTP_URL: 'smtp://h', EMAIL_FROM: 'a@b.c' };
    const outcomes = { valid: 0, invalid: 0 };
    // The loader reports through problems, never through process warnings on stderr.
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      fc.assert(
        fc.property(deployment, (files) => {
          const dir = write(files);
          const started = performance.now();
          const { config, problems } = loadConfig(dir, env);
          expect(performance.now() - started).toBeLessThan(2000);
          const lines = { 'sources/acme.yaml': files.sources.split('\n').length, 'rules/alerts.yaml': files.rules.split('\n').length };
          for (const p of problems) {
            expect(p.message.length, formatProblem(p)).toBeGreaterThan(0);
            expect(['error', 'warning']).toContain(p.severity);
            expect(Object.keys(lines).concat(['sources', 'rules', '.env', 'environment'])).toContain(p.file);
            expect(p.line).toBeGreaterThanOrEqual(0);
            expect(p.col).toBeGreaterThanOrEqual(0);
            const max = lines[p.file as keyof typeof lines];
            if (max !== undefined) expect(p.line, formatProblem(p)).toBeLessThanOrEqual(max + 1);
            expect(formatProblem(p)).toMatch(new RegExp(`^${p.file.replace(/[.]/g, '\\.')}(:\\d+:\\d+)?: `));
          }
          if (hasErrors(problems)) {
            outcomes.invalid++;
            return;
          }
          outcomes.valid++;
          // A config without errors is usable: every source belongs to a brand, every rule has a name.
          for (const s of config.sources) expect(config.brands.has(s.brand)).toBe(true);
          for (const r of config.rules) expect(typeof r.name).toBe('string');
        }),
        { seed: SEED, numRuns: 2500, interruptAfterTimeLimit: 45_000 },
      );
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
    console.log(`fuzz loadConfig (seed ${SEED}): ${outcomes.valid} valid, ${outcomes.invalid} with errors`);
    expect(outcomes.invalid).toBeGreaterThan(100);
    expect(outcomes.valid).toBeGreaterThan(10);
  }, 70_000);
});
