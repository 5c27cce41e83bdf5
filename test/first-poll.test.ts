/**
 * The first poll of a new source stores what it finds without alerting (alert_backfill 0): that
 * is by design, and it must be said, in the poll's output, the log and `earshot status`, with how
 * to change it. Real feed server, real Slack server, real SQLite.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDeployment, rssFeed, runCli } from './helpers/cli.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';

let feed: FeedServer;
let slack: SlackServer;
beforeEach(async () => {
  [feed, slack] = await Promise.all([startFeedServer(), startSlackServer()]);
});
afterEach(async () => {
  await Promise.all([feed.close(), slack.close()]);
});

const ANGRY = ['Acme Cloud lost our data again, furious, we want a refund now.', 'Acme Cloud has been down for hours, terrible support, never again.'];

describe('the first poll of a new source', () => {
  it('says how many it stored without alerts, why, and how to change it', async () => {
    feed.route('/feed.xml', { body: rssFeed(ANGRY.map((d, i) => ({ guid: `a${i}`, title: 'Acme Cloud', description: d, pubDate: new Date(Date.now() - (i + 1) * 60_000) }))) });
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feed.url('/feed.xml')}\n`,
      'rules/alerts.yaml': 'rules:\n  - name: negative\n    match: { sentiment: negative }\n    notify: [{ slack: "#alerts" }]\n',
      '.env': `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\n`,
    });
    const poll = await runCli(dir, ['poll', '--once']);
    expect(poll.code).toBe(0);
    expect(slack.messages).toHaveLength(0);
    expect(poll.stdout).toContain('acme/rss: 2 fetched, 2 matched, 2 new (first poll: 2 stored without alerts, alert_backfill 0)');

    const status = await runCli(dir, ['status']);
    expect(status.stdout).toMatch(
      /^ {2}acme\/rss: first poll (now|\d+s ago): 2 stored without alerts \(alert_backfill 0\); to alert on recent mentions when a source is added, set alert_backfill \(e\.g\. 1d\) on it in sources\/acme\.yaml$/m,
    );
    const json = JSON.parse((await runCli(dir, ['status', '--json'])).stdout) as { sources: Array<{ firstPoll: unknown }> };
    expect(json.sources[0]!.firstPoll).toMatchObject({ storedWithoutAlerts: 2, alertBackfill: '0' });

    // Later polls alert as usual, and the poll output no longer mentions it.
    feed.route('/feed.xml', { body: rssFeed([{ guid: 'a9', title: 'Acme Cloud', description: 'Acme Cloud is down again, awful, I want a refund.' }]) });
    const next = await runCli(dir, ['poll', '--once']);
    expect(next.stdout).not.toContain('first poll');
    expect(slack.messages).toHaveLength(1);
  });
});

describe('feed entries with nothing to read', () => {
  it('are counted and named in the poll output, the log and status', async () => {
    const atom = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><id>urn:acme:1</id></entry>
<entry><id>urn:acme:2</id><author></author><updated>2026-11-01T00:00:00Z</updated></entry>
<entry><id>urn:acme:3</id><title>Acme Cloud is down</title><author></author><content>Acme Cloud is down again</content></entry>
</feed>`;
    feed.route('/atom.xml', { body: atom, headers: { 'content-type': 'application/atom+xml' } });
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feed.url('/atom.xml')}\n`,
      'rules/alerts.yaml': 'rules: []\n',
    });
    const poll = await runCli(dir, ['poll', '--once']);
    expect(poll.stdout).toContain('acme/rss: 3 fetched, 1 matched, 1 new (2 entries skipped: no title, link or text (urn:acme:1, urn:acme:2))');
    const status = await runCli(dir, ['status']);
    expect(status.stdout).toMatch(/^ {2}acme\/rss: gap: 2 entries skipped: no title, link or text \(urn:acme:1, urn:acme:2\)$/m);
  });
});
