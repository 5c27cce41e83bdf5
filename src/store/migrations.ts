/**
 * Schema migrations. APPEND-ONLY: never edit a migration that has shipped; add a new one.
 * `user_version` holds the number of migrations applied. A database whose version is higher
 * than this list is from a newer earshot and is refused with a clear message.
 */

export interface Migration {
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: '001-initial',
    sql: `
CREATE TABLE mentions (
  id INTEGER PRIMARY KEY,
  brand TEXT NOT NULL,
  source TEXT NOT NULL,
  source_key TEXT NOT NULL,
  source_id TEXT NOT NULL,
  url TEXT,
  canonical_url TEXT,
  author TEXT,
  reach INTEGER,
  title TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '',
  kind TEXT,
  link_url TEXT,
  language TEXT,
  published_at TEXT NOT NULL,
  fetched_at TEXT NOT NULL,
  matched_terms TEXT NOT NULL DEFAULT '[]',
  sentiment_label TEXT NOT NULL,
  sentiment_score REAL NOT NULL,
  sentiment_reasons TEXT NOT NULL DEFAULT '[]',
  urgency_level TEXT NOT NULL,
  urgency_score REAL NOT NULL,
  urgency_reasons TEXT NOT NULL DEFAULT '[]',
  fingerprint TEXT,
  duplicate_of INTEGER REFERENCES mentions(id),
  story_key TEXT,
  metrics TEXT NOT NULL DEFAULT '{}',
  -- new: rules not yet run; evaluated; backfill: first poll, outside alert_backfill;
  -- duplicate: repeats an earlier mention; quiet: imported with --no-alerts
  alert_state TEXT NOT NULL DEFAULT 'new',
  UNIQUE (brand, source, source_id)
);
CREATE INDEX mentions_brand_published ON mentions (brand, published_at);
CREATE INDEX mentions_fetched ON mentions (fetched_at);
CREATE INDEX mentions_canonical_url ON mentions (brand, canonical_url) WHERE canonical_url IS NOT NULL;
CREATE INDEX mentions_fingerprint ON mentions (brand, fingerprint) WHERE fingerprint IS NOT NULL;
CREATE INDEX mentions_story ON mentions (story_key) WHERE story_key IS NOT NULL;
CREATE INDEX mentions_new ON mentions (alert_state) WHERE alert_state = 'new';

CREATE VIRTUAL TABLE mentions_fts USING fts5 (
  title, text, content = 'mentions', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER mentions_fts_insert AFTER INSERT ON mentions BEGIN
  INSERT INTO mentions_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER mentions_fts_delete AFTER DELETE ON mentions BEGIN
  INSERT INTO mentions_fts (mentions_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER mentions_fts_update AFTER UPDATE OF title, text ON mentions BEGIN
  INSERT INTO mentions_fts (mentions_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
  INSERT INTO mentions_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;

CREATE TABLE source_state (
  source_key TEXT PRIMARY KEY,
  brand TEXT NOT NULL,
  type TEXT NOT NULL,
  settings_hash TEXT,
  etag TEXT,
  last_modified TEXT,
  cursor TEXT,
  first_success_at TEXT,
  last_attempt_at TEXT,
  last_success_at TEXT,
  last_error_at TEXT,
  last_error TEXT,
  last_error_kind TEXT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  next_poll_at TEXT,
  paused_reason TEXT,
  rate_remaining INTEGER,
  rate_limit INTEGER,
  rate_reset_at TEXT,
  last_gap TEXT,
  last_gap_at TEXT
);

CREATE TABLE poll_log (
  id INTEGER PRIMARY KEY,
  source_key TEXT NOT NULL,
  started_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL, -- ok | not_modified | error
  fetched INTEGER NOT NULL DEFAULT 0,
  stored INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  error_kind TEXT,
  gap TEXT
);
CREATE INDEX poll_log_source_time ON poll_log (source_key, started_at);

CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  rule TEXT NOT NULL,
  rule_hash TEXT NOT NULL,
  rule_type TEXT NOT NULL,
  group_key TEXT NOT NULL,
  brand TEXT NOT NULL,
  summary TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '[]',
  total_mentions INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX alerts_created ON alerts (created_at);

-- The primary key makes "never two alerts for the same mention and rule" a database guarantee.
CREATE TABLE alert_mentions (
  rule TEXT NOT NULL,
  mention_id INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
  alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  PRIMARY KEY (rule, mention_id)
);
CREATE INDEX alert_mentions_alert ON alert_mentions (alert_id);

CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY,
  alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  notifier TEXT NOT NULL,
  target TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending', -- pending | sent | failed | skipped
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_attempt_at TEXT,
  last_error TEXT,
  sent_at TEXT,
  ref TEXT,
  UNIQUE (alert_id, notifier, target)
);
CREATE INDEX deliveries_pending ON deliveries (notifier, target, id) WHERE status = 'pending';

-- Throttle/group state per rule definition (name + checksum): editing a rule starts it afresh.
CREATE TABLE rule_groups (
  rule TEXT NOT NULL,
  rule_hash TEXT NOT NULL,
  group_key TEXT NOT NULL,
  last_alert_at TEXT,
  last_alert_id INTEGER,
  PRIMARY KEY (rule, rule_hash, group_key)
);

-- Mentions a rule selected that wait for their group's alert (group_wait, throttle).
CREATE TABLE rule_pending (
  rule TEXT NOT NULL,
  rule_hash TEXT NOT NULL,
  group_key TEXT NOT NULL,
  mention_id INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
  added_at TEXT NOT NULL,
  PRIMARY KEY (rule, mention_id)
);

CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT
);
`,
  },
  {
    name: '002-digests',
    sql: `
-- One row per scheduled digest period: claimed before sending, marked sent only after the SMTP
-- server accepted it, so a restart neither skips nor repeats a period.
CREATE TABLE digest_runs (
  digest TEXT NOT NULL,
  period_end TEXT NOT NULL,
  period_start TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending', -- pending | sent | skipped | failed | missed
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  claimed_at TEXT,
  last_error TEXT,
  sent_at TEXT,
  message_id TEXT,
  recipients TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  PRIMARY KEY (digest, period_end)
);
`,
  },
  {
    name: '003-ops',
    sql: `
-- Retention (src/store/retention.ts) prunes by publication time and the poll log by start time.
CREATE INDEX mentions_published ON mentions (published_at);
CREATE INDEX poll_log_started ON poll_log (started_at);
-- A mention published before the retention horizon is not stored again: it was pruned (or would
-- be at the next run), and storing it anew would alert on it a second time.
CREATE TRIGGER mentions_retention_horizon BEFORE INSERT ON mentions
WHEN NEW.published_at < (SELECT value FROM meta WHERE key = 'retention.horizon')
BEGIN
  SELECT RAISE(IGNORE);
END;
`,
  },
  {
    name: '004-rule-types',
    sql: `
-- Matches of counting rules (volume, spike), kept so windows and baselines are cheap to count.
CREATE TABLE rule_hits (
  rule TEXT NOT NULL,
  mention_id INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
  group_key TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (rule, mention_id)
);
CREATE INDEX rule_hits_window ON rule_hits (rule, group_key, at);
-- streak: consecutive throttled alerts (throttle growth); active: an aggregate condition is firing.
ALTER TABLE rule_groups ADD COLUMN streak INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rule_groups ADD COLUMN active INTEGER NOT NULL DEFAULT 0;
-- Aggregate alerts (volume, spike, silence) show sample mentions without claiming them.
ALTER TABLE alerts ADD COLUMN sample_mention_ids TEXT NOT NULL DEFAULT '[]';
-- held: waits for quiet hours to end; suppressed: not sent (silence, budget, quiet hours -> digest).
ALTER TABLE deliveries ADD COLUMN hold_reason TEXT;
CREATE INDEX deliveries_held ON deliveries (next_attempt_at) WHERE status = 'held';
ALTER TABLE source_state ADD COLUMN created_at TEXT;
CREATE INDEX mentions_author ON mentions (brand, author COLLATE NOCASE);
`,
  },
  {
    name: '005-silences',
    sql: `
-- Silences from \`earshot silence add\`: alerts of \`rule\` ('*': every rule) for \`brand\` (NULL:
-- every brand) during [starts_at, ends_at) are recorded but not sent. Removing one sets removed_at.
CREATE TABLE silences (
  id INTEGER PRIMARY KEY,
  rule TEXT NOT NULL,
  brand TEXT,
  starts_at TEXT NOT NULL,
  ends_at TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at TEXT NOT NULL,
  removed_at TEXT
);
CREATE INDEX silences_current ON silences (ends_at) WHERE removed_at IS NULL;
`,
  },  {
    name: '006-triage',
    sql: `
-- Triage (src/store/triage.ts): every mention has a status; stored mentions start open.
-- status: open | handled | irrelevant | snoozed (until snoozed_until, then open again).
ALTER TABLE mentions ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
ALTER TABLE mentions ADD COLUMN status_at TEXT;
ALTER TABLE mentions ADD COLUMN snoozed_until TEXT;
ALTER TABLE mentions ADD COLUMN assignee TEXT;
-- Partial indexes: new mentions are open and unassigned, so ingest pays nothing for them; the
-- inbox lists open mentions through mentions_published (newest first) and the rest through these.
CREATE INDEX mentions_triaged ON mentions (status, published_at) WHERE status <> 'open';
CREATE INDEX mentions_snoozed ON mentions (snoozed_until) WHERE status = 'snoozed';
CREATE INDEX mentions_assignee ON mentions (assignee, published_at) WHERE assignee IS NOT NULL;

-- Who did what to a mention, and when. before/after hold the fields an action changed (JSON),
-- so it can be undone; a bulk action's events share a batch and are undone together.
CREATE TABLE mention_events (
  id INTEGER PRIMARY KEY,
  mention_id INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
  at TEXT NOT NULL,
  actor_kind TEXT NOT NULL, -- ui | api | slack | system
  actor_id TEXT NOT NULL,
  actor_name TEXT NOT NULL,
  action TEXT NOT NULL,
  value TEXT,
  before TEXT,
  after TEXT,
  batch TEXT,
  undoes INTEGER,
  undone_by INTEGER
);
CREATE INDEX mention_events_mention ON mention_events (mention_id, id);
CREATE INDEX mention_events_batch ON mention_events (batch) WHERE batch IS NOT NULL;
CREATE INDEX mention_events_actor ON mention_events (actor_id, id);

CREATE TABLE mention_tags (
  mention_id INTEGER NOT NULL REFERENCES mentions (id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (mention_id, tag)
);
CREATE INDEX mention_tags_tag ON mention_tags (tag, mention_id);

-- A person's sentiment label replaces the analyzer's on the mention; the analyzer's is kept here
-- with a copy of the text, a labelled example that outlives the mention (no foreign key: retention
-- prunes mentions, not what people taught the analyzer).
CREATE TABLE sentiment_corrections (
  mention_id INTEGER PRIMARY KEY,
  brand TEXT NOT NULL,
  source TEXT NOT NULL,
  title TEXT NOT NULL,
  text TEXT NOT NULL,
  language TEXT,
  analyzer_label TEXT NOT NULL,
  analyzer_score REAL NOT NULL,
  analyzer_reasons TEXT NOT NULL DEFAULT '[]',
  label TEXT NOT NULL,
  actor_name TEXT NOT NULL,
  at TEXT NOT NULL
);

-- Named inbox filters (a view is a query string, as in the inbox URL).
CREATE TABLE saved_views (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  query TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL
);

-- Web UI sessions; id is the SHA-256 of the cookie value, so the database never holds a usable one.
CREATE TABLE ui_sessions (
  id TEXT PRIMARY KEY,
  user_name TEXT NOT NULL,
  via TEXT NOT NULL, -- password | proxy
  csrf TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX ui_sessions_expires ON ui_sessions (expires_at);

CREATE TABLE ui_preferences (
  user_name TEXT PRIMARY KEY,
  keyboard INTEGER NOT NULL DEFAULT 1
);
`,
  },
  {
    name: '007-delivery-retries',
    sql: `
-- Back-off counts consecutive failures of one kind: a rate limit with Retry-After ('rate_limited')
-- is not a failing service ('unavailable'), so three 429s do not make the next 500 wait 40 s.
ALTER TABLE deliveries ADD COLUMN retry_kind TEXT;
ALTER TABLE deliveries ADD COLUMN retry_streak INTEGER NOT NULL DEFAULT 0;
-- Fingerprint of the notifier's settings (its environment) when a delivery failed for good, so
-- a changed token or endpoint can offer to retry what failed before the change.
ALTER TABLE deliveries ADD COLUMN failed_settings TEXT;
`,
  },
  {
    name: '008-mention-flags',
    sql: `
-- Moderation and irony scores in [0, 1] (analysis flags). NULL for mentions stored before the
-- analyzer had them: unknown, shown as such, never guessed.
ALTER TABLE mentions ADD COLUMN flag_offensive REAL;
ALTER TABLE mentions ADD COLUMN flag_hate REAL;
ALTER TABLE mentions ADD COLUMN flag_irony REAL;
`,
  },  {
    name: '009-triage-indexes',
    sql: `
-- The open backlog per brand (dashboard) and a brand's open inbox, read from the index alone.
-- New mentions enter it (one more index on ingest); handled and irrelevant ones leave it.
CREATE INDEX mentions_open ON mentions (brand, published_at) WHERE status = 'open' AND duplicate_of IS NULL;
-- A mention's reposts (its page) and the alerts sent for a mention, without a scan.
CREATE INDEX mentions_duplicate_of ON mentions (duplicate_of) WHERE duplicate_of IS NOT NULL;
CREATE INDEX alert_mentions_mention ON alert_mentions (mention_id);
`,
  },
  {
    name: '010-fts-by-store',
    sql: `
-- The store indexes each mention it inserts in mentions_fts itself, in the same transaction
-- (store/sqlite/mentions.ts insertMention). Through this trigger, FTS5 flushed its pending terms
-- to a new segment for every row (the trigger runs as a nested statement), which made inserts
-- 1.8x as expensive (scripts: 12.3k vs 22k rows per CPU second). Deletes and updates keep theirs.
DROP TRIGGER mentions_fts_insert;
`,
  },
  {
    name: '011-period-indexes',
    sql: `
-- Digests and dashboards count a brand's mentions of a period by time, sentiment, source, urgency,
-- author and reach (store/sqlite/reports.ts, period*). With every column they read in the index,
-- a 30-day dashboard of 51,000 mentions reads the index alone: reading each mention's row took
-- seconds at 1 M mentions. It replaces mentions_brand_published (same leading columns), so ingest
-- still maintains as many indexes. The last column says whether an urgency reason asks for a
-- reply; it must stay written as ASKS_FOR_REPLY in store/sqlite/reports.ts.
CREATE INDEX mentions_period ON mentions (brand, published_at, duplicate_of, source, sentiment_label, urgency_level, urgency_score,
  reach, alert_state, author, (urgency_reasons GLOB '*[[,]"complaint*' OR urgency_reasons GLOB '*[[,]"question to @*'));
DROP INDEX mentions_brand_published;
-- The dashboard's response times: the period's handled and not-relevant marks without reading
-- every event (store/sqlite/triage.ts responseStats). Events are written by people, not ingest.
CREATE INDEX mention_events_handled ON mention_events (at, mention_id, action, undone_by)
  WHERE action IN ('handle', 'irrelevant') AND undone_by IS NULL;
`,
  },
];
