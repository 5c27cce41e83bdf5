/**
 * Slack buttons through the real CLI: `earshot import` posts a mention alert with its buttons to
 * the local fake Slack; a real `earshot run --http 127.0.0.1:0` process then takes a signed click
 * on POST /slack/actions and a click over Socket Mode (the daemon opens the connection with
 * SLACK_APP_TOKEN), changes the mention in its database and edits the message with chat.update;
 * an action through the JSON API edits the message as well; /metrics counts the clicks, the
 * refused request and the edits; no secret reaches its log;
 * SIGTERM stops it cleanly (the Socket Mode connection closed).
 */
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, listeningUrl, makeDeployment, runCli, spawnCli } from './helpers/cli.js';
import { blockActionsBody, postSignedAction } from './helpers/slack-click.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';
import { until } from './helpers/wait.js';

const SECRET = 'e6b19c573432dcc6b075501d51b51bb8';
const API_TOKEN = 'earshot-api-token-for-the-slack-run-test';
let slack: SlackServer;

beforeEach(async () => {
  slack = await startSlackServer();
});
afterEach(async () => {
  await slack.close();
});

describe('Slack buttons with `earshot run`', () => {
  it('applies a signed HTTP click, a Socket Mode click and an API action, and edits the message after each', async () => {
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never-polled.xml\n    every: 1h\n`,
      'rules/alerts.yaml': `rules:\n  - name: negative-mention\n    match: { sentiment: negative }\n    notify:\n      - slack: "#brand-alerts"\n`,
      '.env': `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\nSLACK_SIGNING_SECRET=${SECRET}\nSLACK_APP_TOKEN=${slack.appToken}\nEARSHOT_API_TOKEN=${API_TOKEN}\n`,
    });
    const file = join(dir, 'in.jsonl');
    const published = new Date(Date.now() - 3_600_000).toISOString();
    writeFileSync(
      file,
      `${JSON.stringify({ brand: 'acme', source: 'twitter', id: '1', url: 'https://x.com/u/status/1', author: 'dana', title: '', text: 'acme cloud lost my files again, worst support ever, I want a refund', published, reach: 100 })}\n`,
    );
    expect((await runCli(dir, ['import', file])).code).toBe(0);
    const [posted] = await slack.waitForMessages(1);
    const ids = /"block_id":"earshot_triage:(\d+):(\d+)"/.exec(JSON.stringify(posted!.blocks));
    expect(ids, 'the alert carries the triage buttons').not.toBeNull();
    const target = { alert: Number(ids![1]), mention: Number(ids![2]) };
    const message = { channel: posted!.channelId, ts: posted!.ts };

    const child = spawnCli(dir, ['run', '--http', '127.0.0.1:0']);
    const out = collect(child);
    try {
      const url = await listeningUrl(out.stderr);
      await slack.socketMode.waitForAccepted(1, 30_000);

      // HTTP: a signed click, answered at once; the work follows.
      const body = blockActionsBody(target, message, { action_id: 'earshot_handle', type: 'button', value: String(target.mention) });
      const forged = await postSignedAction(url, body, 'wrong');
      expect(forged.status).toBe(401);
      const answer = await postSignedAction(url, body, SECRET);
      expect(answer.status).toBe(200);
      const [handled] = await slack.waitForUpdates(1, 30_000);
      expect(handled).toMatchObject({ channel: message.channel, ts: message.ts });
      expect(JSON.stringify(handled!.blocks)).toMatch(/✓ Handled by @maria at <!date\^\d+\^\{time\}\|\d\d:\d\d UTC>/);

      // Socket Mode: the same daemon, the other way in.
      const envelope = slack.socketMode.sendEnvelope(
        JSON.parse(
          decodeURIComponent(
            blockActionsBody(target, message, {
              action_id: 'earshot_sentiment',
              type: 'static_select',
              selected_option: { text: { type: 'plain_text', text: 'Neutral' }, value: `${target.mention}:neutral` },
            }).slice('payload='.length),
          ),
        ),
      );
      await slack.socketMode.waitForAck(envelope, 30_000);
      const updates = await slack.waitForUpdates(2, 30_000);
      expect(JSON.stringify(updates[1]!.blocks)).toContain('Sentiment set to neutral by @maria');

      // The JSON API (the web UI's way in): the message follows too.
      const reopened = await fetch(`${url}/api/mentions/${target.mention}/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'reopen' }),
      });
      expect(reopened.status).toBe(200);
      const [, , viaApi] = await slack.waitForUpdates(3, 30_000);
      expect(JSON.stringify(viaApi!.blocks)).toMatch(/↺ Reopened by the earshot API at <!date\^\d+\^\{time\}\|\d\d:\d\d UTC>/);
      expect(JSON.stringify(viaApi!.blocks)).toContain('"action_id":"earshot_handle"');

      // What /metrics says: the two clicks, the forged request, the three edits, the live socket.
      const metrics = await until(async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return /^earshot_slack_message_updates_total\{outcome="sent"\} 3$/m.test(text) && text;
      }, 5_000, 'the message edits in /metrics');
      for (const line of [
        'earshot_slack_clicks_total{via="http",outcome="applied"} 1',
        'earshot_slack_clicks_total{via="socket",outcome="applied"} 1',
        'earshot_slack_requests_refused_total{reason="mismatch"} 1',
        'earshot_slack_socket_mode_connected 1',
      ]) {
        expect(metrics.split('\n')).toContain(line);
      }

      const db = new Database(join(dir, 'data/earshot.db'), { readonly: true });
      try {
        const row = db.prepare('SELECT status, sentiment_label AS label FROM mentions WHERE id = ?').get(target.mention) as { status: string; label: string };
        expect(row).toEqual({ status: 'open', label: 'neutral' });
        const events = db.prepare('SELECT action, actor_kind AS kind, actor_id AS id FROM mention_events WHERE mention_id = ? ORDER BY id').all(target.mention);
        expect(events).toEqual([
          { action: 'handle', kind: 'slack', id: 'U024BE7LH' },
          { action: 'sentiment', kind: 'slack', id: 'U024BE7LH' },
          { action: 'reopen', kind: 'api', id: 'api' },
        ]);
      } finally {
        db.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await out.exited).toBe(0);
    await until(() => slack.socketMode.connections === 0, 30_000, 'the Socket Mode connection to close');
    const log = out.stderr();
    expect(log).toContain('"msg":"slack socket mode connected"');
    for (const secret of [SECRET, slack.appToken, slack.token, API_TOKEN]) expect(log).not.toContain(secret);
  }, 120_000);
});
