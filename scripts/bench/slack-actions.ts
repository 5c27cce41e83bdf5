/**
 * Benchmark: Slack buttons. Slack wants the answer to a click within 3 s or shows the user an
 * error; earshot answers after checking the signature and parsing the form, and applies the
 * click after. Measured in this process, over the real ops HTTP server and a real SQLite file,
 * with the local fake Slack receiving the chat.update:
 *
 *   answer   signed POST /slack/actions sent → 200 received (what Slack's 3 s limit is about);
 *            baseline: GET /healthz on the same server (a database check), same client
 *   update   the same click → chat.update received by Slack (the triage write, the re-render
 *            from the store, the Web API call): how soon the channel sees who did what
 *
 * Clicks alternate Handled / Reopen on one mention, one at a time, so each one changes the state
 * and produces exactly one update.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSlackServer } from '../../test/helpers/slack-server.js';
import type { BrandConfig, Config } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/log.js';
import { slackSignature } from '../../src/notifiers/slack/signature.js';
import { startOpsServer } from '../../src/ops/server.js';
import { Deliverer } from '../../src/pipeline/deliver.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { insertMention } from '../../src/store/sqlite/mentions.js';
import { getAlert, insertAlert } from '../../src/store/sqlite/outbox.js';
import { triageStore } from '../../src/store/sqlite/triage.js';
import { startSlackActions } from '../../src/web/slack-actions.js';

export interface SlackActionsFigures {
  clicks: number;
  answerP50Ms: number;
  answerP99Ms: number;
  answerMaxMs: number;
  healthzP50Ms: number;
  healthzP99Ms: number;
  updateP50Ms: number;
  updateP99Ms: number;
  updateMaxMs: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function benchSlackActions(clicks: number): Promise<SlackActionsFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'earshot-bench-slack-'));
  const store = openSqliteStore(path.join(dir, 'earshot.db'));
  const db = store.db;
  const slack = await startSlackServer();
  const secret = 'bench-signing-secret-0123456789ab';
  const env = { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.url, SLACK_SIGNING_SECRET: secret };
  const log = silentLogger();
  try {
    const mentionId = insertMention(db, {
      brand: 'acme', source: 'reddit', sourceKey: 'acme/reddit', sourceId: 't3_bench', url: 'https://www.reddit.com/r/x/comments/bench/',
      author: 'u/someone', reach: 1200, title: 'Acme Cloud down again?', text: 'Third outage this month, support does not answer.', kind: 'post',
      linkUrl: null, language: 'en', publishedAt: new Date().toISOString(), fetchedAt: new Date().toISOString(), matchedTerms: ['acme cloud'],
      sentiment: { label: 'negative', score: -0.7, reasons: ['outage'] }, urgency: { level: 'high', score: 0.8, reasons: ['outage'] },
      duplicateOf: null, storyKey: null, metrics: {}, canonicalUrl: null, fingerprint: null, alertState: 'evaluated',
    })!;
    const alertId = insertAlert(db, {
      rule: 'negative-mention', ruleHash: 'h', ruleType: 'mention', groupKey: '*', brand: 'acme', summary: 'Negative mention of Acme Cloud on reddit',
      details: [], mentionIds: [mentionId], totalMentions: 1, createdAt: new Date().toISOString(), deliveries: [{ notifier: 'slack', target: '#brand-alerts' }],
    })!;
    const config: Config = { dir, brands: new Map([['acme', { name: 'Acme Cloud' } as BrandConfig]]), sources: [], rules: [], digests: [], budgets: [], env, files: [] };
    const deliverer = new Deliverer(store, config, log, () => new Date(), { spacingMs: 0 });
    await deliverer.deliverDue();
    await deliverer.close();
    const [message] = slack.messages;
    if (!message) throw new Error('bench slack-actions: the alert was not delivered');

    const actions = (await startSlackActions({ env, triage: triageStore(db), getAlert: async (id) => getAlert(db, id), brandName: () => 'Acme Cloud', log }))!;
    const server = await startOpsServer({
      address: { host: '127.0.0.1', port: 0, exposed: false }, store,
      scheduler: { health: () => ({ running: true, lastPassAt: new Date(), lastPassError: null }) }, log, slackActions: actions,
    });
    const answers: number[] = [];
    const updates: number[] = [];
    const healthz: number[] = [];
    try {
      for (let i = 0; i < clicks; i += 1) {
        const action = i % 2 === 0 ? 'earshot_handle' : 'earshot_reopen';
        const payload = {
          type: 'block_actions', user: { id: 'U0BENCH', username: 'maria', name: 'maria' },
          container: { type: 'message', message_ts: message.ts, channel_id: message.channelId },
          actions: [{ type: 'button', action_id: action, block_id: `earshot_triage:${alertId}:${mentionId}`, value: String(mentionId), action_ts: `${Date.now() / 1000}` }],
        };
        const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
        const timestamp = String(Math.floor(Date.now() / 1000));
        const before = slack.updates.length;
        const startedWall = Date.now();
        const started = performance.now();
        const response = await fetch(`${server.url}/slack/actions`, {
          method: 'POST', body,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature(secret, timestamp, body) },
        });
        await response.arrayBuffer();
        answers.push(performance.now() - started);
        if (response.status !== 200) throw new Error(`bench slack-actions: click ${i} answered ${response.status}`);
        await slack.waitForUpdates(before + 1, 10_000);
        // The fake Slack stamps its receipt with Date.now(): millisecond resolution is enough here.
        updates.push(slack.updates[before]!.receivedAt.getTime() - startedWall);
        await actions.idle();

        const h = performance.now();
        await (await fetch(`${server.url}/healthz`)).arrayBuffer();
        healthz.push(performance.now() - h);
      }
    } finally {
      await actions.stop();
      await server.close();
    }
    return {
      clicks,
      answerP50Ms: percentile(answers, 50),
      answerP99Ms: percentile(answers, 99),
      answerMaxMs: Math.max(...answers),
      healthzP50Ms: percentile(healthz, 50),
      healthzP99Ms: percentile(healthz, 99),
      updateP50Ms: percentile(updates, 50),
      updateP99Ms: percentile(updates, 99),
      updateMaxMs: Math.max(...updates),
    };
  } finally {
    await slack.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
