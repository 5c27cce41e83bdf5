/** `earshot init [DIR]`: writes a starter deployment that passes `earshot check` as written. */
import { existsSync, mkdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envExampleLines } from '../core/plugin.js';
import { notifierManifests } from '../notifiers/registry.js';
import { sourceManifests } from '../sources/registry.js';
import { UserError, type Io } from './context.js';

export interface InitOptions {
  force?: boolean;
}

/** Written before the sources: what a brand file is, and the brand's own keys. */
const SOURCES_HEAD = `# A brand: what to listen for and where. One file per brand is usual.
# Every key is documented in earshot's README ("Configuration") and in each source's README.
brand: example                  # id: lower-case letters, digits and -; unique across files
name: Example Inc               # display name, used in alerts and digests
# Only mentions matching this query (over title and text) are stored:
# words, "exact phrases", OR, -exclusions, (groups), @handles, #tags, prefix*
query: '"example inc" OR exampleinc OR @exampleinc OR #exampleinc -jobs'
# language: [en]                # optional: keep only these languages
handles: [exampleinc]           # the brand's own handles: questions addressed to them are urgent
# vocabulary: { sick: 0.6 }     # words whose meaning differs for this brand (-1 .. 1)

# One example of every source type. Common keys: every (poll interval), alert_backfill (first
# poll: also alert on mentions this recent; default none), enabled, id (when a type repeats).
# A source whose credentials are missing is reported by \`earshot check\` and skipped at run
# time; the others keep working. Delete what you do not use.
sources:
`;

/** One example per registered source type, from its manifest. */
const SOURCES = SOURCES_HEAD + sourceManifests.map((m) => m.example).join('\n');

/** The first notifier's example as written, the others commented out: a starter needs one destination. */
function notifyExamples(): string {
  return notifierManifests.map((m, i) => `      ${i === 0 ? '' : '# '}- ${m.example}`).join('\n');
}

const RULES = `# Alert rules: which mentions reach a human, and where. Digests: a daily email summary.
# Try changes safely with \`earshot rules test --since 7d\` before they go live; the daemon
# reloads this file when it changes (an invalid edit is reported and the last good rules stay).
# One example of every rule type; delete what you do not use.
rules:
  - name: negative-mention      # unique id; alert state is keyed on it
    type: mention               # fires per matching mention
    match:                      # every key is optional; all given must hold
      brand: example
      sentiment: negative       # or [negative, neutral], or { below: -0.5 }
      # urgency: { atLeast: high }          # low | medium | high | critical
      # source: [twitter, reddit]
      # text: 'refund OR outage OR "data loss"'   # same query language as a brand's query
      # reach: { atLeast: 1000 }            # followers, karma or points
      # language: [en]
    throttle: 10m               # at most one alert per group per 10 minutes (the rest wait, never dropped)
    group_by: [brand]           # a burst becomes one message: any of brand, source, author, story
    # group_wait: 30s           # wait this long for more mentions before the first message
    # quiet_hours: { from: "22:00", to: "07:00", timezone: Europe/Berlin }   # alerts wait until morning
    # break_through: critical   # ...unless a mention is this urgent
    notify:
${notifyExamples()}

  - name: abusive-posts
    type: mention               # moderation: abusive posts in the brand's community
    match:
      brand: example
      # A flag is raised at 0.5 (\`flags: [offensive, hate]\`); 0.8 keeps customer complaints out of
      # moderation: 4% of complaint tweets reach it (18% reach 0.5), and 81% of the validation
      # tweets it flags are offensive (63% at 0.5). Flags: offensive, hate, irony.
      flags: { offensive: { atLeast: 0.8 }, hate: { atLeast: 0.8 } }
    group_by: [brand]
    throttle: 30m
    notify:
      - slack: "#moderation"

  - name: many-complaints
    type: volume                # fires when at least \`count\` matching mentions arrive within \`window\`
    match: { brand: example, sentiment: negative }
    window: 1h
    count: 10
    throttle: 4h
    notify:
      - slack: "#brand-alerts"

  - name: volume-spike
    type: spike                 # mentions in the last window against the average of earlier windows
    match: { brand: example }
    window: 1h
    factor: 3                   # at least 3x the usual volume...
    min_count: 20               # ...and at least 20 mentions (2 -> 6 is not news)
    # baseline: 24              # earlier windows averaged; no alert until that much history exists
    # direction: up             # up, down (a feed broke?) or both
    notify:
      - slack: "#brand-alerts"

  - name: gone-quiet
    type: silence               # nothing for a while: a broken feed, expired credentials?
    match: { brand: example }   # brand and source only
    for: 12h
    of: either                  # mentions (none stored), polls (none succeeded) or either
    notify:
      - slack: "#brand-alerts"

digests:
  - name: daily                 # unique id
    brands: [example]           # omitted: every brand
    schedule: "0 8 * * *"       # cron: every day at 08:00 ...
    timezone: Europe/Berlin     # ... in this IANA timezone (default UTC)
    to: [team@example.com]      # needs SMTP_URL and EMAIL_FROM
`;

/** .env.example: each notifier's and each source's variables (from the manifests), then earshot's own. */
const ENV = [
  `# earshot reads .env from its config directory; the process environment wins.
# Copy this file to .env and fill in what you use. Never commit .env.
# A notify target in rules/*.yaml may be written \${NAME} to read it from here: webhook URLs
# hold their key, so keep them out of git, e.g. \`- discord: \${DISCORD_WEBHOOK_URL}\`.
`,
  ...[...notifierManifests, ...sourceManifests]
    .map((m) => envExampleLines(m.env))
    .filter((lines) => lines.length > 0)
    .map((lines) => `\n${lines.join('\n')}\n`),
  `
# Web UI and JSON API (earshot run --http); the UI is off without a password
# EARSHOT_UI_PASSWORD_HASH=     # the line \`earshot password\` prints
# EARSHOT_UI_PASSWORD=          # development only: a plain password
# EARSHOT_API_TOKEN=            # for Authorization: Bearer; a long random value (openssl rand -hex 32)
# EARSHOT_UI_TRUSTED_HEADER=    # behind a single sign-on proxy: the header naming the user, e.g. X-Forwarded-User
# EARSHOT_UI_TRUSTED_PROXIES=127.0.0.1,::1   # the addresses that header is accepted from

# earshot itself
# EARSHOT_RETENTION=90d         # keep mentions and alerts this long (at least 1d), or off
# EARSHOT_LEARN_EVERY=20       # earshot run learns a brand again after this many new corrections (at most hourly), 0 = off
# EARSHOT_LOG_LEVEL=info        # trace, debug, info, warn, error, silent
# EARSHOT_DB=data/earshot.db

# Several nodes on one PostgreSQL (README, "Running several nodes"); the password is a secret
# EARSHOT_DATABASE_URL=postgres://earshot:PASSWORD@db.example:5432/earshot
# EARSHOT_CLUSTER_LEASE=30s     # a dead node's polls and sends move to the others after this long
# EARSHOT_RATE_LIMIT_TWITTER=450/15m   # the API budget all nodes share (also REDDIT, BLUESKY, MASTODON), or off
`,
].join('');

/** A unit test of the starter rules, so `earshot rules test --unit` has something to run from day one. */
const RULES_TEST = `# Unit tests for rules/alerts.yaml: mentions on a timeline, and every alert the rules must send.
# Run them with \`earshot rules test --unit\` (no database needed; exits 1 when one fails, for CI).
# Format: README ("Rule unit tests").
tests:
  - name: a burst of complaints is one alert; what comes during the throttle waits, never dropped
    rules: [negative-mention]
    mentions:
      - { at: 0s, id: first, text: "example inc lost my files again", sentiment: negative }
      - { at: 2m, id: second, text: "example inc support is not answering", sentiment: negative }
    expect:
      - { rule: negative-mention, at: 0s, with: [first] }
      - { rule: negative-mention, at: 10m, with: [second] }

  - name: praise never alerts
    rules: [negative-mention]
    mentions:
      - { at: 0s, text: "example inc migration went smoothly, thanks team", sentiment: positive }
    expect: []

  - name: abuse goes to moderation, a harsh complaint does not (the analyzer scores both)
    rules: [abusive-posts]
    mentions:
      - { at: 0s, text: "Example Inc lost my data again, support is useless and I want a refund" }
      - { at: 1m, id: abuse, text: "example inc you are all idiots and your product is shit" }
    expect:
      - { rule: abusive-posts, at: 1m, with: [abuse] }
`;

/** Where this earshot's JSON Schemas are, for editors (yaml-language-server); null when not shipped. */
function schemasDir(): string | null {
  const dir = fileURLToPath(new URL('../../schemas/', import.meta.url));
  return existsSync(dir) ? dir : null;
}

/** The `$schema` line for editors: the schemas of the earshot that wrote the file, by absolute path. */
function withSchema(schema: string, content: string): string {
  const dir = schemasDir();
  return dir ? `# yaml-language-server: $schema=${join(dir, schema)}\n${content}` : content;
}

export const INIT_FILES: ReadonlyArray<[string, string]> = [
  ['sources/example.yaml', withSchema('sources.schema.json', SOURCES)],
  ['rules/alerts.yaml', withSchema('rules.schema.json', RULES)],
  ['.env.example', ENV],
  ['rules/alerts.test.yaml', withSchema('rules-test.schema.json', RULES_TEST)],
];

function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/**
 * The command that runs this earshot from the user's shell: \`earshot\` when that name on PATH is
 * this very script, else \`node /path/to/bin/earshot.js\`. npx puts node_modules/.bin on PATH only
 * for its own child, so those entries do not count.
 */
export function howToRun(where: { script?: string | undefined; path?: string | undefined } = { script: process.argv[1], path: process.env.PATH }): string {
  const script = where.script ? realOrNull(where.script) : null;
  if (!script) return 'earshot';
  for (const dir of (where.path ?? '').split(delimiter)) {
    if (!dir || /node_modules[\\/]\.bin[\\/]?$/.test(dir)) continue;
    if (realOrNull(join(dir, 'earshot')) === script) return 'earshot';
  }
  return `node ${/\s/.test(where.script!) ? JSON.stringify(where.script) : where.script}`;
}

export function initCommand(io: Io, dir: string, options: InitOptions): number {
  const root = resolve(dir);
  if (existsSync(root) && !statSync(root).isDirectory()) throw new UserError(`${dir} is a file: give a directory (new or existing) to write the deployment into`);
  const existing = INIT_FILES.map(([name]) => join(root, name)).filter((p) => existsSync(p));
  if (existing.length > 0 && !options.force) {
    throw new UserError(`${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}: not overwritten (use --force)`);
  }
  for (const [name, content] of INIT_FILES) {
    const path = join(root, name);
    // Owner-only like the files (folders that already exist are left as they are).
    try {
      mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
      writeFileSync(path, content, { mode: 0o600 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR' || code === 'ENOSPC') {
        throw new UserError(`cannot write ${path} (${code}): choose a directory you can write to`);
      }
      throw err;
    }
    io.out(`wrote ${path}`);
  }
  mkdirSync(join(root, 'data'), { recursive: true, mode: 0o700 });
  const cmd = howToRun();
  io.out(`next: copy .env.example to .env and fill in what you use, edit sources/example.yaml and rules/alerts.yaml, then run \`${cmd} check\` and \`${cmd} run\` in ${root}`);
  if (cmd !== 'earshot') io.out('to type `earshot` instead: run `npm link` in the earshot checkout (README, "Quick start")');
  return 0;
}
