/** `earshot init [DIR]`: writes a starter deployment that passes `earshot check` as written. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError, type Io } from './context.js';

export interface InitOptions {
  force?: boolean;
}

const SOURCES = `# A brand: what to listen for and where. One file per brand is usual.
# Every key is documented in earshot's README ("Config reference").
brand: example                  # id: lower-case letters, digits and -; unique across files
name: Example Inc               # display name, used in alerts and digests
# Only mentions matching this query (over title and text) are stored:
# words, "exact phrases", OR, -exclusions, (groups), @handles, #tags, prefix*
query: '"example inc" OR exampleinc OR @exampleinc -jobs'
# language: [en]                # optional: keep only these languages
handles: [exampleinc]           # the brand's own handles: questions addressed to them are urgent
# vocabulary: { sick: 0.6 }     # words whose meaning differs for this brand (-1 .. 1)
sources:
  - type: rss                   # RSS, Atom, RDF or JSON Feed
    url: https://news.google.com/rss/search?q=%22example+inc%22&hl=en-US&gl=US&ceid=US:en
    every: 15m                  # poll interval
    # alert_backfill: 1h        # first poll: also alert on mentions from the last hour (default: none)
`;

const RULES = `# Alert rules: which mentions reach a human, and where.
# Try changes safely with \`earshot rules test --since 7d\` before they go live.
rules:
  - name: negative-mention      # unique id; alert state is keyed on it
    type: mention               # fires per matching mention
    match:
      brand: example
      sentiment: negative       # or { below: -0.5 }
      # urgency: { atLeast: high }
      # source: [twitter, reddit]
      # text: 'refund OR outage OR "data loss"'
    throttle: 10m               # at most one alert per group per 10 minutes (the rest wait, never dropped)
    group_by: [brand]           # a burst becomes one message
    notify:
      - slack: "#brand-alerts"
      # - email: pr-team@example.com
`;

const ENV = `# earshot reads .env from its config directory; the process environment wins.
# Copy this file to .env and fill in what you use. Never commit .env.

# Slack bot token (chat:write scope); invite the bot to the alert channels.
SLACK_BOT_TOKEN=
# SLACK_API_URL=https://slack.com/api/

# Email alerts and digests
SMTP_URL=
EMAIL_FROM=

# Reddit application-only OAuth (https://www.reddit.com/prefs/apps)
REDDIT_CLIENT_ID=
REDDIT_CLIENT_SECRET=
REDDIT_USER_AGENT=
# REDDIT_API_URL=https://oauth.reddit.com
# REDDIT_AUTH_URL=https://www.reddit.com

# Twitter/X API v2 app bearer token (a plan with search access)
TWITTER_BEARER_TOKEN=
# TWITTER_API_URL=https://api.twitter.com

# HN_API_URL=https://hn.algolia.com/api/v1

# Bluesky app password login
BLUESKY_HANDLE=
BLUESKY_APP_PASSWORD=
# BLUESKY_SERVICE_URL=https://bsky.social

# Mastodon: only needed for query search (hashtag timelines need none)
MASTODON_ACCESS_TOKEN=
`;

export const INIT_FILES: ReadonlyArray<[string, string]> = [
  ['sources/example.yaml', SOURCES],
  ['rules/alerts.yaml', RULES],
  ['.env.example', ENV],
];

export function initCommand(io: Io, dir: string, options: InitOptions): number {
  const root = resolve(dir);
  const existing = INIT_FILES.map(([name]) => join(root, name)).filter((p) => existsSync(p));
  if (existing.length > 0 && !options.force) {
    throw new UserError(`${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}: not overwritten (use --force)`);
  }
  for (const [name, content] of INIT_FILES) {
    const path = join(root, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content, { mode: 0o600 });
    io.out(`wrote ${path}`);
  }
  mkdirSync(join(root, 'data'), { recursive: true, mode: 0o700 });
  io.out(`next: edit sources/example.yaml, then \`earshot check\` and \`earshot run\` in ${root}`);
  return 0;
}
