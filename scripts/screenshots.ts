/**
 * README screenshots of the real web UI: a week of mentions for two brands (complaints, praise,
 * a story cross-posted to Reddit and Hacker News, alerts, polls, some of it triaged), served by
 * earshot's web app and drawn by headless Chromium into docs/inbox.png, docs/mention.png and
 * docs/dashboard.png. And docs/slack.png: Slack cannot be reached from here, so the real Slack
 * notifier posts an alert to the local fake Slack, a signed "Handled" click goes through earshot's
 * own /slack/actions handler, and the blocks of the chat.update Slack receives are drawn as an
 * HTML preview (scripts/lib/block-kit-preview.ts; the picture says it is a rendering).
 *
 *   npm run screenshots            (needs /usr/bin/chromium)
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrandConfig, Config } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { slackSignature } from '../src/notifiers/slack/signature.js';
import { Deliverer } from '../src/pipeline/deliver.js';
import { stmt } from '../src/store/sqlite/db.js';
import { insertMention } from '../src/store/sqlite/mentions.js';
import { getAlert, insertAlert } from '../src/store/sqlite/outbox.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import { startSlackActions } from '../src/web/slack-actions.js';
import { startSlackServer } from '../test/helpers/slack-server.js';
import { blockKitPreviewHtml } from './lib/block-kit-preview.js';
import { seedAlert, seedPolls } from '../test/helpers/digest-seed.js';
import { applyAction } from '../src/triage/actions.js';
import { launchChromium } from '../test/helpers/browser.js';
import { startWebServer, TEST_PASSWORD } from '../test/helpers/web.js';
import { mulberry32 } from './lib/random.js';

const out = resolve(import.meta.dirname, '..', 'docs');
const HOUR = 3_600_000;

const NEGATIVE = [
  ['twitter', 'dana_ops', 5_400, '@acmecloud our whole team is locked out of the dashboard since 9am. Any ETA? Support ticket #4411 has no answer.', ['complaint to @acmecloud', 'question to @acmecloud'], 'critical'],
  ['reddit', 'u/throwaway_sre', 870, 'Acme Cloud billed us twice this month and the refund form just loops. Anyone else?', ['complaint', 'refund'], 'high'],
  ['mastodon', 'lena@hachyderm.io', 1_200, 'Third Acme Cloud outage this quarter. Starting to look at alternatives, honestly.', ['outage'], 'high'],
  ['twitter', 'mk_builds', 310, 'acme cloud CLI keeps timing out on deploy, rolled back twice today', ['complaint'], 'medium'],
] as const;
const POSITIVE = [
  ['twitter', 'priya_dev', 12_800, 'Moved our staging to Acme Cloud edge regions: p95 latency halved. Impressed.'],
  ['bluesky', 'tomas.bsky.social', 640, 'Acme Cloud support sorted our DNS issue in 10 minutes on a Sunday. That is how it is done.'],
  ['reddit', 'u/homelab_hero', 2_100, 'Acme Cloud free tier is genuinely generous for side projects'],
] as const;
const NEUTRAL = [
  ['hackernews', 'pg_fan', 420, 'Acme Cloud raises Series C to expand European regions'],
  ['rss', null, null, 'Acme Cloud announces Frankfurt and Madrid regions for 2027'],
  ['twitter', 'cloudwatcher', 2_900, 'How does Acme Cloud pricing compare with the big three for GPU instances?'],
  ['mastodon', 'devrel@fosstodon.org', 300, 'Notes from the Acme Cloud meetup in Berlin: IPv6-only networking is coming'],
  ['reddit', 'u/kube_curious', 150, 'Migrating a small Kubernetes cluster to Acme Cloud: what should I watch out for?'],
] as const;

/**
 * The Block Kit blocks Slack receives in chat.update after a click on "Handled": a mention alert
 * posted by the real notifier to the fake Slack, the click signed and handled by earshot's own
 * Slack actions handler, exactly as in test/slack-actions.test.ts.
 */
async function slackMessageAfterClick(): Promise<{ blocks: unknown[]; postedAt: Date }> {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-screenshot-slack-'));
  const store = openSqliteStore(join(dir, 'earshot.db'));
  const slack = await startSlackServer();
  const secret = 'screenshot-signing-secret';
  const env: Record<string, string> = { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.url, SLACK_SIGNING_SECRET: secret };
  const postedAt = new Date('2026-11-23T09:41:00.000Z');
  const clickedAt = new Date('2026-11-23T09:47:00.000Z');
  const clock = { now: postedAt };
  const log = silentLogger();
  try {
    const mentionId = insertMention(store.db, {
      brand: 'acme', source: 'twitter', sourceKey: 'acme/twitter', sourceId: '1862', url: 'https://x.com/dana_ops/status/1862', author: 'dana_ops', reach: 5_400,
      title: '', text: NEGATIVE[0][3], kind: 'post', linkUrl: null, language: 'en', publishedAt: '2026-11-23T09:38:00.000Z', fetchedAt: '2026-11-23T09:40:00.000Z',
      matchedTerms: ['acme cloud'], sentiment: { label: 'negative', score: -0.74, reasons: ['locked out', 'no answer'] }, urgency: { level: 'critical', score: 0.91, reasons: [...NEGATIVE[0][4]] },
      duplicateOf: null, storyKey: null, metrics: {}, canonicalUrl: null, fingerprint: null, alertState: 'evaluated',
    })!;
    const alertId = insertAlert(store.db, {
      rule: 'negative-mention', ruleHash: 'h', ruleType: 'mention', groupKey: '*', brand: 'acme', summary: 'Negative mention of Acme Cloud on twitter', details: [],
      mentionIds: [mentionId], totalMentions: 1, createdAt: postedAt.toISOString(), deliveries: [{ notifier: 'slack', target: '#brand-alerts' }],
    })!;
    const config = { dir, brands: new Map([['acme', { name: 'Acme Cloud' } as BrandConfig]]), sources: [], rules: [], digests: [], budgets: [], env, files: [] } as Config;
    const deliverer = new Deliverer(store, config, log, () => clock.now, { spacingMs: 0 });
    await deliverer.deliverDue();
    await deliverer.close();
    const [posted] = await slack.waitForMessages(1);
    const actions = (await startSlackActions({ env, triage: store.triage(), getAlert: async (id) => getAlert(store.db, id), brandName: () => 'Acme Cloud', log, now: () => clock.now }))!;
    try {
      clock.now = clickedAt;
      const payload = {
        type: 'block_actions',
        user: { id: 'U01NK1K9L68', username: 'maria', name: 'maria', team_id: 'T01ND2P8N91' },
        container: { type: 'message', message_ts: posted!.ts, channel_id: posted!.channelId, is_ephemeral: false },
        channel: { id: posted!.channelId, name: 'brand-alerts' },
        response_url: slack.responseUrl,
        actions: [{ type: 'button', action_id: 'earshot_handle', block_id: `earshot_triage:${alertId}:${mentionId}`, value: String(mentionId), text: { type: 'plain_text', text: 'Handled' }, action_ts: '1795427220.000100' }],
      };
      const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
      const timestamp = String(Math.floor(clickedAt.getTime() / 1000));
      const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature(secret, timestamp, body) };
      const answer = await actions.handleRequest(new Request('http://127.0.0.1/slack/actions', { method: 'POST', body, headers }));
      if (answer.status !== 200) throw new Error(`screenshots: the click was refused: ${answer.status} ${await answer.text()}`);
      const [update] = await slack.waitForUpdates(1);
      await actions.idle();
      return { blocks: update!.blocks ?? [], postedAt };
    } finally {
      await actions.stop();
    }
  } finally {
    await slack.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const s = await startWebServer({ liveIntervalMs: 60_000 });
const random = mulberry32(7);
const now = Date.now();
const ids: number[] = [];
const team = (name: string) => ({ kind: 'ui' as const, id: name, name });
try {
  let n = 0;
  // A week of background mentions, busier on weekdays, with a spike yesterday.
  for (let day = 6; day >= 0; day--) {
    const count = day === 1 ? 18 : 6 + Math.floor(random() * 5);
    for (let i = 0; i < count; i++) {
      const at = new Date(now - day * 24 * HOUR - random() * 20 * HOUR - HOUR).toISOString();
      const pick = random();
      const [source, author, reach, text] = pick < 0.2 ? POSITIVE[n % POSITIVE.length]! : NEUTRAL[n % NEUTRAL.length]!;
      s.seed({ id: `bg${n++}`, source, author, reach, text, at, sentiment: pick < 0.2 ? 'positive' : pick < 0.3 ? 'negative' : 'neutral' });
    }
  }
  for (let i = 0; i < 9; i++) s.seed({ id: `globex${i}`, brand: 'globex', source: 'rss', sourceKey: 'globex/rss', text: 'Globex earnings call recap', at: new Date(now - (i + 1) * 15 * HOUR).toISOString() });
  // This morning's mentions, newest last.
  const fresh: Array<[string, string | null, number | null, string, 'negative' | 'positive' | 'neutral', string[], string]> = [
    ...NEUTRAL.slice(0, 2).map((m) => [m[0], m[1], m[2], m[3], 'neutral', [], 'low'] as [string, string | null, number | null, string, 'neutral', string[], string]),
    ...POSITIVE.map((m) => [m[0], m[1], m[2], m[3], 'positive', [], 'low'] as [string, string, number, string, 'positive', string[], string]),
    ...NEGATIVE.map((m) => [m[0], m[1], m[2], m[3], 'negative', [...m[4]], m[5]] as [string, string, number, string, 'negative', string[], string]),
  ];
  fresh.forEach(([source, author, reach, text, sentiment, reasons, urgency], i) => {
    const id = s.seed({
      id: `fresh${i}`,
      source: source as 'twitter',
      author,
      reach,
      text,
      sentiment,
      urgency: urgency as 'low',
      urgencyReasons: reasons,
      at: new Date(now - (fresh.length - i) * 11 * 60_000).toISOString(),
    });
    ids.push(id);
  });
  // A story on two networks.
  const story = 'https://status.acme.example/incidents/2026-dashboard';
  const a = s.seed({ id: 'story-r', source: 'reddit', author: 'u/pager_duty_dan', reach: 3_300, title: 'Acme Cloud dashboard outage megathread', text: 'Post your region and symptoms here.', sentiment: 'negative', urgency: 'high', at: new Date(now - 40 * 60_000).toISOString() });
  const b = s.seed({ id: 'story-h', source: 'hackernews', author: 'throwaway_77', reach: 212, title: 'Acme Cloud status: elevated dashboard errors', text: 'Acme Cloud status page: investigating elevated error rates on the dashboard.', sentiment: 'neutral', urgency: 'medium', at: new Date(now - 30 * 60_000).toISOString() });
  stmt(s.db, 'UPDATE mentions SET story_key = ? WHERE id IN (?, ?)').run(story, a, b);
  // Alerts for the complaints, and polls for the health table.
  const critical = ids[ids.length - 4]!;
  await seedAlert(s.dataStore, { rule: 'negative-mention', at: new Date(now - 40 * 60_000).toISOString(), mentionIds: [critical], deliveries: [{ notifier: 'slack', target: '#brand-alerts', status: 'sent' }, { notifier: 'email', target: 'pr@example.com', status: 'sent' }] });
  await seedAlert(s.dataStore, { rule: 'negative-mention', at: new Date(now - 20 * 60_000).toISOString(), mentionIds: [ids[ids.length - 3]!, ids[ids.length - 2]!], deliveries: [{ notifier: 'slack', target: '#brand-alerts', status: 'sent' }] });
  for (const key of ['acme/rss', 'acme/hackernews']) {
    await seedPolls(s.dataStore, key, new Date(now - 7 * 24 * HOUR).toISOString(), new Date(now).toISOString(), key === 'acme/rss' ? HOUR : 2 * HOUR);
    const last = new Date(now - 9 * 60_000).toISOString();
    stmt(s.db, 'UPDATE source_state SET last_attempt_at = ?, last_success_at = ? WHERE source_key = ?').run(last, last, key);
  }
  // Some triage: handled, tagged, assigned, a note, a correction.
  // The "outage" mention reads as ironic, the analyzer flags say so.
  stmt(s.db, 'UPDATE mentions SET flag_offensive = 0.08, flag_hate = 0.02, flag_irony = 0.71 WHERE id = ?').run(ids[ids.length - 2]);
  await applyAction(s.store, { mentionId: critical, action: 'assign', value: 'maria', actor: team('maria') });
  await applyAction(s.store, { mentionId: critical, action: 'tag', value: 'outage', actor: team('maria') });
  await applyAction(s.store, { mentionId: critical, action: 'note', value: 'Replied publicly with the status page link; DM sent for the ticket number.', actor: team('maria') });
  await applyAction(s.store, { mentionId: ids[ids.length - 3]!, action: 'tag', value: 'billing', actor: team('jo') });
  await applyAction(s.store, { mentionId: ids[2]!, action: 'handle', actor: team('jo') });
  await applyAction(s.store, { mentionId: ids[3]!, action: 'sentiment', value: 'positive', actor: team('maria') });

  const { browser, close } = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 820 }, deviceScaleFactor: 1 });
    await page.goto(`${s.url}/login`);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByLabel('Your name (shown in history)').fill('maria');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${s.url}/`);
    mkdirSync(out, { recursive: true });
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.screenshot({ path: join(out, 'inbox.png') });
    await page.goto(`${s.url}/mentions/${critical}`);
    await page.screenshot({ path: join(out, 'mention.png'), fullPage: true });
    await page.goto(`${s.url}/brands/acme?range=7d`);
    await page.screenshot({ path: join(out, 'dashboard.png'), fullPage: true });
    const slackMessage = await slackMessageAfterClick();
    const preview = await browser.newPage({ viewport: { width: 760, height: 400 }, deviceScaleFactor: 1 });
    await preview.setContent(blockKitPreviewHtml({ appName: 'earshot', time: '9:41 AM', blocks: slackMessage.blocks }));
    await preview.screenshot({ path: join(out, 'slack.png'), fullPage: true });
    console.log(`wrote ${['inbox', 'mention', 'dashboard', 'slack'].map((n) => join(out, `${n}.png`)).join(', ')}`);
  } finally {
    await close();
  }
} finally {
  await s.close();
}
