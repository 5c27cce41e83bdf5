/**
 * Slow and hostile sources, all in one `earshot poll --once` run of the compiled CLI (a real
 * process, so its memory can be measured): a feed that never finishes sending, a 200 MB feed
 * (streamed by the server, never allocated), a redirect loop, a gzip bomb, invalid UTF-8, and a
 * Reddit API answering an HTML page. Each must be cut off (timeout, size cap, loop detection) or
 * parsed leniently, with an error naming the source in the command's output and in
 * `earshot status`; the process's peak RSS stays bounded; a healthy feed in the same run is
 * polled and alerts as usual.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledCli, spawnCompiled } from '../scripts/soak.js';
import { collect, makeDeployment, rssFeed, runCli } from './helpers/cli.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { hasRedditFixtures, startRedditServer, type RedditServer } from './helpers/reddit-server.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';

const NEGATIVE = 'Acme Cloud lost our data again. Furious, this is the worst service ever, we want a refund now.';
const MiB = 1024 * 1024;

/** Writes `total` bytes of an endless-looking RSS document in 64 KiB chunks, honouring back-pressure; stops when the client goes away. */
async function streamHuge(res: ServerResponse, total: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 'Acme Cloud filler text that never ends. ');
  res.writeHead(200, { 'content-type': 'application/rss+xml' });
  res.write('<?xml version="1.0"?><rss version="2.0"><channel><title>huge</title><item><title>Acme Cloud</title><description>');
  let sent = 0;
  let closed = false;
  res.once('close', () => (closed = true));
  while (sent < total && !closed) {
    if (!res.write(chunk)) {
      await new Promise<void>((r) => {
        const done = (): void => {
          clearInterval(check);
          res.off('drain', done);
          r();
        };
        const check = setInterval(() => closed && done(), 50);
        res.once('drain', done);
      });
    }
    sent += chunk.length;
  }
  res.end('</description></item></channel></rss>');
  return sent;
}

let feed: FeedServer;
let slack: SlackServer;
let reddit: RedditServer | null = null;
const served: Record<string, number> = {};

beforeAll(async () => {
  [feed, slack] = await Promise.all([startFeedServer(), startSlackServer()]);
  if (hasRedditFixtures) reddit = await startRedditServer();
  feed.route('/good.xml', { body: rssFeed([{ guid: 'g1', title: 'Acme Cloud outage', description: NEGATIVE }]) });
  // Headers and the start of a feed, then one byte every 200 ms, forever.
  feed.route('/trickle.xml', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml' });
    res.write('<?xml version="1.0"?><rss version="2.0"><channel><title>slow</title>');
    const timer = setInterval(() => res.write(' '), 200);
    res.on('close', () => clearInterval(timer));
  });
  feed.route('/huge.xml', async (_req, res) => {
    served.huge = await streamHuge(res, 200 * 1000 * 1000);
  });
  feed.route('/loop-a', { status: 302, headers: { location: '/loop-b' } });
  feed.route('/loop-b', { status: 302, headers: { location: '/loop-a' } });
  // 1 GiB of zeros, gzipped on the fly (about 1 MB on the wire); the client must stop at its cap.
  feed.route('/bomb.xml', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' });
    const gzip = createGzip({ level: 9 });
    gzip.pipe(res);
    const zeros = Buffer.alloc(MiB);
    let written = 0;
    const pump = (): void => {
      while (written < 1024 && !res.destroyed) {
        written++;
        if (!gzip.write(zeros)) return void gzip.once('drain', pump);
      }
      gzip.end();
    };
    res.on('close', () => {
      served.bomb = written;
      gzip.destroy();
    });
    pump();
  });
  // Declared UTF-8, but with bytes that are not: lone continuation bytes, an overlong '/', 0xFF.
  const bad = Buffer.concat([
    Buffer.from('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>bad bytes</title><item><guid>u1</guid><title>Acme Cloud '),
    Buffer.from([0x80, 0xbf, 0xc0, 0xaf, 0xff, 0xfe, 0xed, 0xa0, 0x80]),
    Buffer.from(` broken bytes</title><description>${NEGATIVE} `),
    Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
    Buffer.from('</description><link>https://news.example.com/u1</link></item></channel></rss>'),
  ]);
  feed.route('/bad-utf8.xml', { body: bad, headers: { 'content-type': 'application/rss+xml; charset=utf-8' } });
  if (reddit) reddit.failNext('api', 'html_200', 10);
});

afterAll(async () => {
  await Promise.all([feed.close(), slack.close(), reddit?.close()]);
});

/** Peak resident memory of a running process (Linux /proc), in bytes; null when not available. */
function peakRss(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

describe('slow and hostile sources', () => {
  it('cuts each one off with an error naming it, keeps memory bounded, and polls the healthy feed', async () => {
    const sources = [
      ['good', '/good.xml'],
      ['trickle', '/trickle.xml'],
      ['huge', '/huge.xml'],
      ['loop', '/loop-a'],
      ['bomb', '/bomb.xml'],
      ['badutf8', '/bad-utf8.xml'],
    ]
      .map(([id, path]) => `  - type: rss\n    id: ${id}\n    url: ${feed.url(path!)}\n    alert_backfill: 1d\n`)
      .join('');
    const redditSource = reddit ? `  - type: reddit\n    search: acme cloud\n    alert_backfill: 1d\n` : '';
    const redditEnv = reddit
      ? `REDDIT_CLIENT_ID=${reddit.clientId}\nREDDIT_CLIENT_SECRET=${reddit.clientSecret}\nREDDIT_USER_AGENT=linux:earshot-test:v1 (by /u/earshot_test)\nREDDIT_API_URL=${reddit.url}\nREDDIT_AUTH_URL=${reddit.url}\n`
      : '';
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n${sources}${redditSource}`,
      'rules/alerts.yaml': 'rules:\n  - name: negative-mention\n    match: { sentiment: negative }\n    notify: [{ slack: "#alerts" }]\n',
      '.env': `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\n${redditEnv}`,
    });

    const launcher = compiledCli();
    const started = Date.now();
    const child = spawnCompiled(launcher, dir, ['poll', '--once'], { EARSHOT_LOG_LEVEL: 'warn' });
    const out = collect(child);
    let peak = 0;
    const sampler = setInterval(() => {
      const rss = child.pid ? peakRss(child.pid) : null;
      if (rss !== null) peak = Math.max(peak, rss);
    }, 25);
    const code = await out.exited;
    clearInterval(sampler);
    const elapsed = Date.now() - started;
    const stdout = out.stdout();
    console.log(
      `hostile sources: poll --once took ${elapsed} ms, peak RSS ${(peak / MiB).toFixed(0)} MiB; ` +
        `huge feed bytes written before the client hung up: ${((served.huge ?? 0) / MiB).toFixed(0)} MiB; gzip bomb MiB deflated before cut-off: ${served.bomb ?? '?'}\n${stdout}`,
    );

    expect(code, out.stderr()).toBe(1); // sources failed: exit 1, never 2
    expect(out.stderr()).not.toMatch(/internal error/);
    // The healthy feed was polled and alerted despite its neighbours.
    expect(stdout).toMatch(/^acme\/good: 1 fetched, 1 matched, 1 new$/m);
    expect(slack.messages.some((m) => JSON.stringify(m.blocks).includes('news.example.com/g1'))).toBe(true);

    const line = (id: string) => stdout.split('\n').find((l) => l.startsWith(`acme/${id}: `)) ?? '';
    expect(line('trickle')).toMatch(/FAILED: .*trickle\.xml.*(no complete response within \d+ s|timed out|deadline)/);
    expect(line('huge')).toMatch(/FAILED: .*huge\.xml.*larger than 10 MiB/);
    expect(line('loop')).toMatch(/FAILED: .*loop-a.*redirect loop/);
    expect(line('bomb')).toMatch(/FAILED: .*bomb\.xml.*larger than 10 MiB/);
    // Invalid UTF-8: parsed leniently (replacement characters), never a crash.
    expect(line('badutf8')).toMatch(/^acme\/badutf8: 1 fetched, 1 matched, 1 new/);
    if (reddit) expect(line('reddit')).toMatch(/FAILED: reddit: .*HTML page instead of JSON/);

    // The server stopped being read soon after the cap: the 200 MB feed was not downloaded.
    expect(served.huge ?? 0).toBeLessThan(60 * MiB);
    expect(served.bomb ?? 0).toBeLessThan(200);
    // Bounded memory: a 200 MB body held in memory would put the peak far above this.
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(180 * MiB);

    // The same errors, naming each source, in `earshot status`.
    const status = await runCli(dir, ['status', '--json']);
    expect(status.code).toBe(0);
    const json = JSON.parse(status.stdout) as { sources: Array<{ source: string; state: string; lastError: string | null }> };
    const errorOf = (key: string) => json.sources.find((s) => s.source === key)?.lastError ?? '';
    for (const key of ['acme/trickle', 'acme/huge', 'acme/loop', 'acme/bomb', ...(reddit ? ['acme/reddit'] : [])]) {
      expect(json.sources.find((s) => s.source === key)?.state, key).toBe('failing');
    }
    expect(errorOf('acme/trickle')).toMatch(/trickle\.xml/);
    expect(errorOf('acme/huge')).toMatch(/huge\.xml.*larger than/);
    expect(errorOf('acme/loop')).toMatch(/redirect loop/);
    expect(errorOf('acme/bomb')).toMatch(/bomb\.xml.*larger than/);
    expect(errorOf('acme/good')).toBe('');
    if (reddit) expect(errorOf('acme/reddit')).toMatch(/HTML/);

    // The lenient parse stored text without invalid sequences.
    const mentions = await runCli(dir, ['mentions', '--json']);
    const stored = mentions.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { sourceId: string; title: string });
    const broken = stored.find((m) => m.sourceId === 'u1');
    expect(broken?.title).toMatch(/^Acme Cloud .*broken bytes$/);
    // well-formed Unicode: no lone surrogates (they would not survive a UTF-8 round trip)
    expect(Buffer.from(broken!.title, 'utf8').toString('utf8')).toBe(broken!.title);
  }, 90_000);
});
