/**
 * Crash soak: `earshot run` is SIGKILLed at seeded random moments while it polls a local feed and
 * delivers to a local Slack server; new negative mentions are added to the feed between restarts.
 * After the last kill a final run drains the outbox, and the harness checks that every mention
 * the rule selected produced exactly one Slack message per channel and that the database passes
 * `PRAGMA integrity_check`.
 *
 *   npm run soak                          # 300 kills, seed from the clock
 *   npm run soak -- --kills 1000 --seed 7 --min-ms 0 --max-ms 3000 --startup-fraction 0.2
 *
 * test/faults-crash.test.ts runs the same harness with 30+ kills in CI.
 *
 * The one unavoidable window: Slack accepted a message (the server recorded it and answered) and
 * the process was killed before it wrote `sent` to the database. The next run cannot know the
 * message went out and sends it again. No outbox can close this window without an idempotency
 * key on the receiving side, which chat.postMessage does not offer. The harness measures it:
 * a message whose Slack channel id and `ts` are not the `ref` of any delivery row was sent by a run that died
 * before recording it ("orphan"); each duplicate must be explained by exactly such an orphan:
 * sent by a run that was SIGKILLed and never logged it as delivered (the "alert delivered" line
 * comes after the database write, so a logged ref that is not recorded would be a real bug).
 * In runs so far the kill came 0-31 ms after Slack received the message, about once per 20 kills.
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import { startFeedServer, type FeedServer } from '../test/helpers/feed-server.js';
import { mulberry32 } from './lib/random.js';
import { rssFeed, type FeedItem } from '../test/helpers/cli.js';
import { startSlackServer, type ReceivedSlackMessage, type SlackServer } from '../test/helpers/slack-server.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');


function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push(path);
  }
  return out;
}

/** What the compiled tree links to in the checkout: it finds them by walking up from dist/. */
const LINKED = ['package.json', 'models', 'node_modules', 'assets'] as const;

export interface CompiledCliOptions {
  /** Where compiled trees are kept; default `.cache/compiled-cli` inside this checkout (gitignored). */
  cacheRoot?: string;
}

/**
 * Compiles src/ (type-check off: only emit matters here) into a private directory and returns
 * the path of a launcher script. Starting compiled JS takes ~0.3 s against ~2 s through tsx, which
 * is what makes dozens of restarts affordable; the shared dist/ is left alone (other work may be
 * using it).
 *
 * The tree is cached inside this checkout, keyed on the checkout's path, the sources, the build
 * config and package.json, and verified before use: every link must lead to this checkout and the
 * entry points must exist. A cache under $TMPDIR keyed only on src once handed a fresh clone a tree
 * whose links led into an earlier, deleted checkout (or into another worktree on the same machine).
 */
export function compiledCli(options: CompiledCliOptions = {}): string {
  const cacheRoot = options.cacheRoot ?? join(repoRoot, '.cache', 'compiled-cli');
  const root = join(cacheRoot, compiledTreeKey());
  const launcher = join(root, 'earshot.mjs');
  if (isUsableTree(root)) return launcher;
  mkdirSync(cacheRoot, { recursive: true });
  const staging = mkdtempSync(join(cacheRoot, 'building-'));
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(repoRoot, 'tsconfig.build.json'), '--noCheck', '--outDir', join(staging, 'dist')], {
    cwd: repoRoot,
    stdio: 'pipe',
  });
  for (const name of LINKED) symlinkSync(join(repoRoot, name), join(staging, name));
  writeFileSync(
    join(staging, 'earshot.mjs'),
    "const { main } = await import('./dist/cli/index.js');\nprocess.exitCode = await main(process.argv);\n",
  );
  // A tree that failed verification is replaced; if another process just built a good one, use theirs.
  if (existsSync(root) && !isUsableTree(root)) rmSync(root, { recursive: true, force: true });
  try {
    renameSync(staging, root);
  } catch {
    rmSync(staging, { recursive: true, force: true });
  }
  if (!isUsableTree(root)) throw new Error(`compiled CLI at ${root} is incomplete after building it; delete ${cacheRoot} and retry`);
  pruneOldTrees(cacheRoot, root);
  return launcher;
}

/** Trees for earlier source states pile up with every edit; a day-old one is not in use any more. */
function pruneOldTrees(cacheRoot: string, keep: string): void {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(cacheRoot)) {
    const path = join(cacheRoot, name);
    if (path !== keep && statSync(path).mtimeMs < dayAgo) rmSync(path, { recursive: true, force: true });
  }
}

function compiledTreeKey(): string {
  const hash = createHash('sha1');
  hash.update(`checkout ${repoRoot}\n`);
  for (const file of sourceFiles(join(repoRoot, 'src')).sort()) {
    hash.update(relative(repoRoot, file));
    hash.update(readFileSync(file));
  }
  hash.update(readFileSync(join(repoRoot, 'tsconfig.build.json')));
  hash.update(readFileSync(join(repoRoot, 'package.json')));
  return hash.digest('hex').slice(0, 16);
}

function isUsableTree(root: string): boolean {
  if (!existsSync(join(root, 'earshot.mjs')) || !existsSync(join(root, 'dist/cli/index.js'))) return false;
  return LINKED.every((name) => {
    try {
      return realpathSync(join(root, name)) === realpathSync(join(repoRoot, name));
    } catch {
      return false; // a dangling link
    }
  });
}

export function spawnCompiled(launcher: string, dir: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [launcher, '--config-dir', dir, ...args], {
    cwd: dir,
    env: { ...process.env, EARSHOT_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface CrashSoakOptions {
  kills: number;
  seed: number;
  /**
   * Most kills come a random [minMs, maxMs] after the daemon logged "earshot started" (while it
   * polls, evaluates and delivers); a `startupFraction` of them come during startup instead (while
   * the database is opened and migrated).
   */
  minMs?: number;
  maxMs?: number;
  startupFraction?: number;
  /** Slack channels the rule notifies (each mention -> one message per channel). */
  channels?: string[];
  /** How long the final run may take to deliver everything. */
  drainTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface DuplicateReport {
  url: string;
  channel: string;
  count: number;
  /** The extra copy was sent by a run that died before recording it (the unavoidable window). */
  explained: boolean;
  msBeforeKill: number | null;
  /** Each copy: its Slack ts, when it arrived, whether a delivery row records it, and the log tail of the run that sent it. */
  copies: Array<{ ts: string; receivedAt: string; recorded: boolean; run: number; runLogTail: string[] }>;
}

export interface CrashSoakReport {
  kills: number;
  seed: number;
  durationMs: number;
  /** Negative mentions put in the feed, and how many the rule selected (stored, labelled negative). */
  published: number;
  selected: number;
  /** Items put in the feed but not in the database after the drain. */
  lostItems: string[];
  channels: string[];
  messages: number;
  /** (mention, channel) pairs that never reached Slack. */
  missing: Array<{ url: string; channel: string }>;
  duplicates: DuplicateReport[];
  /** Slack messages for a URL that the rule did not select. */
  unexpected: string[];
  /** Messages whose ts no delivery row records: sent by a run that was killed before marking it sent. */
  orphans: number;
  integrity: string;
  /** Deliveries not `sent` after the drain. */
  unsent: number;
  /** What the process logged last before each kill (how the kills spread over the work). */
  killPhases: Record<string, number>;
}

const NEGATIVE_TEMPLATES = [
  (n: string) => `Acme Cloud lost our data again (ticket ${n}). Furious, this is the worst service ever, we want a refund now.`,
  (n: string) => `Acme Cloud has been down for three hours (case ${n}) and support is ignoring us. Terrible service, never again.`,
  (n: string) => `Acme Cloud billing charged us twice, order ${n}. Awful, a total scam, I am so angry.`,
];

interface PublishedItem extends FeedItem {
  link: string;
  negative: boolean;
}

function messageUrls(message: ReceivedSlackMessage, pattern: RegExp): string[] {
  const payload = JSON.stringify(message.blocks ?? []) + (message.text ?? '');
  return [...new Set(payload.match(pattern) ?? [])];
}

function phaseOf(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  const last = lines.at(-1);
  if (!last) return 'starting (no log line yet)';
  try {
    return String((JSON.parse(last) as { msg?: unknown }).msg ?? 'unknown');
  } catch {
    return 'unparsed line';
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    child.once('exit', () => res());
  });
}

export async function runCrashSoak(options: CrashSoakOptions): Promise<CrashSoakReport> {
  const started = Date.now();
  const random = mulberry32(options.seed);
  const minMs = options.minMs ?? 0;
  const maxMs = options.maxMs ?? 1500;
  const startupFraction = options.startupFraction ?? 0.15;
  const channels = options.channels ?? ['#crash-a', '#crash-b'];
  const log = options.log ?? (() => undefined);
  const launcher = compiledCli();
  const [feed, slack]: [FeedServer, SlackServer] = await Promise.all([startFeedServer(), startSlackServer()]);
  const dir = mkdtempSync(join(tmpdir(), 'earshot-soak-'));
  try {
    mkdirSync(join(dir, 'sources'));
    mkdirSync(join(dir, 'rules'));
    writeFileSync(
      join(dir, 'sources/acme.yaml'),
      `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feed.url('/feed.xml')}\n    every: 1s\n    alert_backfill: 1d\n`,
    );
    writeFileSync(
      join(dir, 'rules/alerts.yaml'),
      `rules:\n  - name: negative-mention\n    match: { sentiment: negative }\n    notify:\n${channels.map((c) => `      - slack: "${c}"\n`).join('')}`,
    );
    writeFileSync(join(dir, '.env'), `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\n`);

    const items: PublishedItem[] = [];
    let counter = 0;
    const publish = (negatives: number, neutrals: number): void => {
      for (let i = 0; i < negatives + neutrals; i++) {
        counter++;
        const n = String(counter).padStart(5, '0');
        const negative = i < negatives;
        const template = NEGATIVE_TEMPLATES[Math.floor(random() * NEGATIVE_TEMPLATES.length)]!;
        items.unshift({
          guid: `m${n}`,
          title: negative ? `Acme Cloud problem ${n}` : `Acme Cloud release notes ${n}`,
          description: negative ? template(n) : `Acme Cloud opens a new region, item ${n}, launch notes.`,
          link: `https://news.example.com/crash/m${n}.html`,
          pubDate: new Date(),
          negative,
        });
      }
      // A feed shows its newest entries; keep it long enough that nothing falls off between polls.
      const body = rssFeed(items.slice(0, 200));
      feed.route('/feed.xml', { body, headers: { 'content-type': 'application/rss+xml' } });
    };
    publish(3, 1);

    const killPhases: Record<string, number> = {};
    const killedAt: number[] = [];
    const runs: Array<{ start: number; end: number; stderr: () => string }> = [];
    for (let k = 0; k < options.kills; k++) {
      const child = spawnCompiled(launcher, dir, ['run', '--no-watch']);
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const run = { start: Date.now(), end: Infinity, stderr: () => stderr };
      runs.push(run);
      child.stdout?.resume();
      if (random() < startupFraction) {
        await new Promise((r) => setTimeout(r, 30 + random() * 700));
      } else {
        const readyBy = Date.now() + 20_000;
        while (!stderr.includes('"earshot started"') && Date.now() < readyBy && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
        await new Promise((r) => setTimeout(r, minMs + random() * (maxMs - minMs)));
      }
      const phase = phaseOf(stderr);
      killPhases[phase] = (killPhases[phase] ?? 0) + 1;
      child.kill('SIGKILL');
      killedAt.push(Date.now());
      await exitOf(child);
      run.end = Date.now();
      // ~0.8 new alerting mentions per restart: enough to keep deliveries in flight at most kills,
      // few enough that the 1 message/s/channel pace does not dominate the run time.
      publish(random() < 0.6 ? 1 : random() < 0.5 ? 2 : 0, random() < 0.5 ? 1 : 0);
      if ((k + 1) % 10 === 0) log(`${k + 1}/${options.kills} kills, ${slack.messages.length} messages so far`);
    }

    // Drain: a final run delivers what is left; give it time to send any (wrong) extra copy too.
    const negatives = items.filter((i) => i.negative).length;
    const final = spawnCompiled(launcher, dir, ['run', '--no-watch']);
    let finalErr = '';
    final.stderr?.on('data', (d: Buffer) => (finalErr += d.toString()));
    runs.push({ start: Date.now(), end: Infinity, stderr: () => finalErr });
    final.stdout?.resume();
    const drainEnd = Date.now() + (options.drainTimeoutMs ?? 60_000);
    const dbPath = join(dir, 'data/earshot.db');
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      if (Date.now() > drainEnd) break;
      if (!existsSync(dbPath)) continue;
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        db.pragma('busy_timeout = 2000');
        const stored = db.prepare("SELECT COUNT(*) AS n FROM mentions WHERE source_id LIKE 'm%'").get() as { n: number };
        const open = db.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE status IN ('pending', 'held')").get() as { n: number };
        const unevaluated = db.prepare("SELECT COUNT(*) AS n FROM mentions WHERE alert_state = 'new'").get() as { n: number };
        if (stored.n === items.length && open.n === 0 && unevaluated.n === 0) break;
      } catch {
        // the schema may not exist yet
      } finally {
        db.close();
      }
    }
    await new Promise((r) => setTimeout(r, 1500));
    final.kill('SIGTERM');
    await exitOf(final);
    log(`drained; final run log tail: ${finalErr.trim().split('\n').slice(-2).join(' | ').slice(0, 400)}`);

    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    let report: CrashSoakReport;
    try {
      const integrity = String(db.pragma('integrity_check', { simple: true }));
      const mentions = db.prepare('SELECT source_id AS guid, url, sentiment_label AS label FROM mentions').all() as Array<{ guid: string; url: string; label: string }>;
      const storedGuids = new Set(mentions.map((m) => m.guid));
      const lostItems = items.filter((i) => !storedGuids.has(i.guid)).map((i) => i.guid);
      const selected = new Set(mentions.filter((m) => m.label === 'negative').map((m) => m.url));
      const refs = new Set((db.prepare("SELECT ref FROM deliveries WHERE ref IS NOT NULL").all() as Array<{ ref: string }>).map((r) => r.ref));
      const unsent = (db.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE status <> 'sent'").get() as { n: number }).n;

      // The notifier's delivery ref: `<channel id>:<ts>` (src/notifiers/slack/message-ref.ts).
      const refOf = (m: ReceivedSlackMessage): string => `${m.channelId}:${m.ts}`;
      const pattern = /https:\/\/news\.example\.com\/crash\/m\d{5}\.html/g;
      const byKey = new Map<string, ReceivedSlackMessage[]>();
      const unexpected: string[] = [];
      for (const message of slack.messages) {
        for (const url of messageUrls(message, pattern)) {
          if (!selected.has(url)) unexpected.push(url);
          const key = `${message.channel} ${url}`;
          byKey.set(key, [...(byKey.get(key) ?? []), message]);
        }
      }
      const missing: Array<{ url: string; channel: string }> = [];
      for (const url of selected) for (const channel of channels) if (!byKey.has(`${channel} ${url}`)) missing.push({ url, channel });
      const duplicates: DuplicateReport[] = [];
      for (const [key, copies] of byKey) {
        if (copies.length < 2) continue;
        const [channel, url] = key.split(' ') as [string, string];
        const orphanCopies = copies.filter((c) => !refs.has(refOf(c)));
        const first = orphanCopies[0];
        const kill = first ? killedAt.find((t) => t >= first.receivedAt.getTime()) : undefined;
        const msBeforeKill = first && kill !== undefined ? kill - first.receivedAt.getTime() : null;
        const runOf = (c: ReceivedSlackMessage) => runs.findIndex((r) => r.start <= c.receivedAt.getTime() && c.receivedAt.getTime() <= r.end);
        // An orphan is explained when the run that sent it was SIGKILLed and never logged it as
        // delivered (markSent comes before that log line, so a logged ref is always recorded).
        const inWindow = (c: ReceivedSlackMessage) => {
          const run = runOf(c);
          return run >= 0 && run < options.kills && !runs[run]!.stderr().includes(`"ref":"${refOf(c)}"`);
        };
        duplicates.push({
          url,
          channel,
          count: copies.length,
          explained: orphanCopies.length === copies.length - 1 && orphanCopies.every(inWindow),
          msBeforeKill,
          copies: copies.map((c) => {
            const run = runOf(c);
            const tail = run >= 0 ? runs[run]!.stderr().trim().split('\n').slice(-6) : [];
            return { ts: c.ts, receivedAt: c.receivedAt.toISOString(), recorded: refs.has(refOf(c)), run, runLogTail: tail.map((l) => l.slice(0, 300)) };
          }),
        });
      }
      const orphans = slack.messages.filter((m) => !refs.has(refOf(m))).length;
      report = {
        kills: options.kills,
        seed: options.seed,
        durationMs: Date.now() - started,
        published: negatives,
        selected: selected.size,
        lostItems,
        channels,
        messages: slack.messages.length,
        missing,
        duplicates,
        unexpected: [...new Set(unexpected)],
        orphans,
        integrity,
        unsent,
        killPhases,
      };
    } finally {
      db.close();
    }
    return report;
  } finally {
    await Promise.all([feed.close(), slack.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function cli(): Promise<void> {
  const args = process.argv.slice(2);
  const kills = Number(argValue(args, '--kills') ?? 300);
  const seed = Number(argValue(args, '--seed') ?? Date.now() % 1_000_000);
  const minMs = Number(argValue(args, '--min-ms') ?? 0);
  const maxMs = Number(argValue(args, '--max-ms') ?? 1500);
  const startupFraction = Number(argValue(args, '--startup-fraction') ?? 0.15);
  console.log(`crash soak: ${kills} kills, seed ${seed}, kill ${minMs}-${maxMs} ms after "earshot started" (${startupFraction * 100}% during startup)`);
  const report = await runCrashSoak({ kills, seed, minMs, maxMs, startupFraction, log: (l) => console.log(l) });
  console.log(JSON.stringify(report, null, 2));
  const unexplained = report.duplicates.filter((d) => !d.explained);
  const ok =
    report.integrity === 'ok' && report.missing.length === 0 && report.lostItems.length === 0 && report.unexpected.length === 0 && unexplained.length === 0 && report.unsent === 0;
  console.log(
    `${ok ? 'PASS' : 'FAIL'}: ${report.selected} alerted mentions x ${report.channels.length} channels, ${report.messages} messages, ` +
      `${report.missing.length} missing, ${report.duplicates.length} duplicates (${report.duplicates.length - unexplained.length} in the sent-but-not-recorded window), ` +
      `integrity ${report.integrity}, ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  process.exitCode = ok ? 0 : 1;
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  await cli();
}
