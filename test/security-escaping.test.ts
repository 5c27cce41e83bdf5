/**
 * Mention text that tries to ping, link, format, script or inject is shown literally everywhere:
 * `earshot poll --once` delivers a hostile mention to the local Slack server (plain_text only,
 * escaped fallback text, no mrkdwn object carrying mention content) and to the SMTP server (HTML
 * escaped, no injected header, envelope untouched); `earshot mentions` prints no control
 * characters; the digest HTML (`earshot digest --out`) holds the text escaped, no live markup.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeployment, rssFeed, runCli } from './helpers/cli.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

const ESC = '\u001b';
/** The text a hostile author wrote (as the reader of the page sees it). */
const HOSTILE_TITLE = `Acme Cloud <!channel> <!here> <@U123> *bold* _it_ ~gone~ ${ESC}[31mRED${ESC}[0m\r\nBcc: victim@evil.example`;
const HOSTILE_TEXT =
  'Acme Cloud lost our data, worst service ever, we want a refund. <!channel> <!here> <@U123> <https://evil.example/phish|click here> ' +
  `*bold* \`code\` <script>alert(1)</script> <img src=x onerror=alert(2)> ${ESC}]0;pwned${String.fromCharCode(7)} ${ESC}[2J`;
/** Author with CR/LF and a header of its own. */
const HOSTILE_AUTHOR = 'mallory@example.com (Mallory\r\nBcc: victim@evil.example)';

let feed: FeedServer;
let slack: SlackServer;
let smtp: TestSmtpServer;
let dir: string;

beforeAll(async () => {
  [feed, slack, smtp] = await Promise.all([startFeedServer(), startSlackServer(), startSmtpServer()]);
  // A JSON Feed: its title and content_text are plain text, so the author's characters arrive
  // exactly as written (RSS would treat them as HTML and strip the tags).
  feed.route('/feed.json', {
    body: JSON.stringify({
      version: 'https://jsonfeed.org/version/1.1',
      title: 'hostile',
      items: [{ id: 'h1', url: 'https://news.example.com/h1?a=1&b=<x>', title: HOSTILE_TITLE, content_text: HOSTILE_TEXT, authors: [{ name: HOSTILE_AUTHOR }], date_published: new Date().toISOString() }],
    }),
    headers: { 'content-type': 'application/feed+json' },
  });
  // And an RSS item with the same tricks in its title (RSS titles are often HTML-escaped text).
  feed.route('/feed.xml', { body: rssFeed([{ guid: 'h2', title: `${HOSTILE_TITLE} (rss)`, description: 'Acme Cloud is down again, furious customers, worst outage ever.', author: HOSTILE_AUTHOR }]) });
  dir = makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feed.url('/feed.json')}\n    alert_backfill: 1d\n  - type: rss\n    url: ${feed.url('/feed.xml')}\n    alert_backfill: 1d\n`,
    'rules/alerts.yaml': 'rules:\n  - name: negative-mention\n    match: { sentiment: negative }\n    notify:\n      - slack: "#alerts"\n      - email: pr@example.com\n',
    '.env': `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\nSMTP_URL=${smtp.url}\nEMAIL_FROM=alerts@example.com\n`,
  });
  const r = await runCli(dir, ['poll', '--once']);
  if (r.code !== 0) throw new Error(`poll --once failed: ${r.stdout}\n${r.stderr}`);
});
afterAll(async () => {
  await Promise.all([feed.close(), slack.close(), smtp.close()]);
});

interface Stored {
  title: string;
  text: string;
  author: string | null;
}

async function stored(): Promise<Stored> {
  const r = await runCli(dir, ['mentions', '--json']);
  const all = r.stdout.split('\n').map((l) => JSON.parse(l) as Stored & { sourceId: string });
  return all.find((m) => m.sourceId === 'h1')!;
}

function messageFor(id: string) {
  return slack.messages.find((m) => JSON.stringify(m.blocks).includes(`news.example.com/${id}`));
}

/** Every text object in a Block Kit payload, with its type. */
function textObjects(node: unknown, out: Array<{ type: string; text: string }> = []): Array<{ type: string; text: string }> {
  if (Array.isArray(node)) for (const n of node) textObjects(n, out);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if ((o.type === 'plain_text' || o.type === 'mrkdwn') && typeof o.text === 'string') out.push({ type: o.type, text: o.text });
    for (const v of Object.values(o)) textObjects(v, out);
  }
  return out;
}

const PINGS = ['<!channel>', '<!here>', '<@U123>', '<https://evil.example/phish|click here>'];

describe('hostile mention text is shown literally', () => {
  it('is stored as the author wrote it (the tricks survive to be tested downstream)', async () => {
    const m = await stored();
    for (const p of PINGS) expect(m.text).toContain(p);
    expect(m.text).toContain('<script>alert(1)</script>');
    expect(m.title).toContain('<!channel>');
  });

  it('reaches Slack only as plain_text, with an escaped fallback', async () => {
    expect(slack.messages).toHaveLength(2);
    const msg = messageFor('h1')!;
    const objects = textObjects(msg.blocks);
    const plain = objects.filter((o) => o.type === 'plain_text').map((o) => o.text).join('\n');
    // literal in what Slack receives, inside plain_text (which Slack never interprets)
    for (const p of PINGS) expect(plain).toContain(p);
    expect(plain).toContain('*bold*');
    // no mrkdwn object carries a ping, a user mention or a foreign link
    for (const o of objects.filter((x) => x.type === 'mrkdwn')) {
      expect(o.text).not.toMatch(/<[!@#]/);
      expect(o.text).not.toContain('evil.example');
      expect(o.text).not.toContain('*bold*');
    }
    // the notification text is escaped mrkdwn and sent with mrkdwn off
    expect(msg.text ?? '').not.toMatch(/<[!@]/);
    expect(msg.text ?? '').not.toMatch(/<https?:/);
    expect([false, 'false', undefined]).toContain(msg.raw.mrkdwn);
    // no raw control characters reach Slack, in either message
    for (const m of slack.messages) {
      expect(JSON.stringify(m.blocks) + (m.text ?? '')).not.toMatch(/\\u001b|\\u0007|\u001b|\u0007/);
      for (const o of textObjects(m.blocks).filter((x) => x.type === 'mrkdwn')) expect(o.text).not.toMatch(/<[!@#]/);
      expect(m.text ?? '').not.toMatch(/<[!@]/);
    }
  });

  it('reaches email HTML-escaped, with no injected header and the envelope untouched', async () => {
    expect(smtp.messages).toHaveLength(2);
    for (const other of smtp.messages) {
      expect(other.envelope.to).toEqual(['pr@example.com']);
      expect(other.headerLines.map((h) => h.key)).not.toContain('bcc');
      expect(other.html).not.toMatch(/<img[^>]*onerror|<script/i);
    }
    const mail = smtp.messages.find((m) => m.html.includes('news.example.com/h1'))!;
    expect(mail.envelope.to).toEqual(['pr@example.com']);
    expect(mail.to).toEqual(['pr@example.com']);
    expect(mail.headerLines.map((h) => h.key)).not.toContain('bcc');
    expect(mail.headers.get('bcc')).toBeUndefined();
    for (const h of mail.headerLines) expect(h.line).not.toMatch(/victim@evil/);
    expect(mail.subject).not.toMatch(/[\r\n]/);
    // HTML part: no live markup from the mention
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toMatch(/<img[^>]*onerror/i);
    expect(mail.html).not.toContain('href="https://evil.example');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).toContain('&lt;!channel&gt;');
    // text part: literal
    expect(mail.text).toContain('<!channel>');
    expect(mail.raw).not.toMatch(/\u001b|\u0007/);
    expect(mail.text + mail.html).not.toMatch(/\u001b|\u0007/);
  });

  it('prints no control characters in `earshot mentions` (text and JSON)', async () => {
    const text = await runCli(dir, ['mentions']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Acme Cloud');
    expect(text.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    const json = await runCli(dir, ['mentions', '--json']);
    // JSON escapes control characters (\u001b), so it is safe to print as well
    expect(json.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  it('writes the digest HTML with the mention escaped and no live markup', async () => {
    const out = join(dir, 'digest.html');
    const today = new Date().toISOString().slice(0, 10);
    const r = await runCli(dir, ['digest', '--date', today, '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('Acme Cloud');
    expect(html).not.toContain('<script>alert');
    expect(html).not.toMatch(/<img[^>]*onerror/i);
    expect(html).not.toMatch(/href="https:\/\/evil\.example/);
    expect(html).not.toMatch(/\u001b|\u0007/);
    // the digest shows the mention, escaped
    expect(html).toContain('&lt;@U123&gt;');
    expect(html).not.toContain('<@U123>');
  });
});
