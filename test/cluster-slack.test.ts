/**
 * Slack buttons in PostgreSQL mode, through real processes: `earshot import` posts a mention
 * alert to the local fake Slack; two real `earshot run --http` nodes on one PostgreSQL database
 * then take a signed HTTP click (on node 1), a Socket Mode click (Slack gives an envelope to one
 * connection) and an action through the JSON API (on node 2). Each changes the mention's status
 * in PostgreSQL with the clicker as actor and edits the Slack message once: the node that applied
 * the change edits it, the other does not. The same signed click delivered to both nodes at once
 * (a retried payload behind a load balancer) is applied by one and refused as a replay by the
 * other: one change, one edit.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledCli, spawnCompiled } from '../scripts/soak.js';
import { listeningUrl, makeDeployment, runCli } from './helpers/cli.js';
import { blockActionsBody, postSignedAction } from './helpers/slack-click.js';
import { pgQuery, postgresAvailability, startTestPostgres, withSkipReason, type TestPostgres } from './helpers/postgres.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';
import { until } from './helpers/wait.js';

const SECRET = 'f1c2a3b4d5e6f708192a3b4c5d6e7f80';
const API_TOKEN = 'earshot-api-token-for-the-cluster-slack-test';
const availability = postgresAvailability();

interface Node {
  child: ChildProcess;
  log: () => string;
  url: string;
}

function signedPost(url: string, body: string): Promise<Response> {
  return postSignedAction(url, body, SECRET);
}

/** One counter of a node's /metrics (0 when the series is not there yet). */
async function metric(node: Node, series: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe.skipIf(!availability.ok)(withSkipReason('Slack buttons with two nodes on PostgreSQL', availability), () => {
  let pg: TestPostgres;
  let slack: SlackServer;
  const nodes: Node[] = [];
  beforeAll(async () => {
    [pg, slack] = await Promise.all([startTestPostgres(), startSlackServer()]);
  }, 120_000);
  afterAll(async () => {
    for (const n of nodes) if (n.child.exitCode === null) n.child.kill('SIGKILL');
    await slack?.close();
    await pg?.stop();
  }, 60_000);

  it('applies HTTP, Socket Mode and API actions on either node and edits the message once per change', async () => {
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never-polled.xml\n    every: 1h\n`,
      'rules/alerts.yaml': `rules:\n  - name: negative-mention\n    match: { sentiment: negative }\n    notify:\n      - slack: "#brand-alerts"\n`,
      '.env':
        `EARSHOT_DATABASE_URL=${pg.url}\nSLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\nSLACK_SIGNING_SECRET=${SECRET}\n` +
        `SLACK_APP_TOKEN=${slack.appToken}\nEARSHOT_API_TOKEN=${API_TOKEN}\n`,
    });
    const file = join(dir, 'in.jsonl');
    const published = new Date(Date.now() - 3_600_000).toISOString();
    writeFileSync(
      file,
      `${JSON.stringify({ brand: 'acme', source: 'twitter', id: '1', url: 'https://x.com/u/status/1', author: 'dana', title: '', text: 'acme cloud lost my files again, worst support ever, I want a refund', published, reach: 100 })}\n`,
    );
    expect((await runCli(dir, ['import', file])).code).toBe(0);
    const [posted] = await slack.waitForMessages(1, 30_000);
    const ids = /"block_id":"earshot_triage:(\d+):(\d+)"/.exec(JSON.stringify(posted!.blocks));
    expect(ids, 'the alert carries the triage buttons').not.toBeNull();
    const target = { alert: Number(ids![1]), mention: Number(ids![2]) };
    const message = { channel: posted!.channelId, ts: posted!.ts };

    const launcher = compiledCli();
    for (let i = 0; i < 2; i++) {
      const child = spawnCompiled(launcher, dir, ['run', '--no-watch', '--http', '127.0.0.1:0']);
      let log = '';
      child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      child.stdout!.resume();
      nodes.push({ child, log: () => log, url: '' });
    }
    const dump = (what: string) => (err: unknown) => {
      throw new Error(`${what}: ${(err as Error).message}\n${nodes.map((n, i) => `--- node ${i + 1}\n${n.log().split('\n').slice(-15).join('\n')}`).join('\n')}`);
    };
    for (const node of nodes) {
      node.url = await listeningUrl(node.log, 120_000).catch(dump('start'));
    }
    await slack.socketMode.waitForAccepted(2, 60_000).catch(dump('socket mode'));
    const [n1, n2] = nodes as [Node, Node];
    const statusOf = async () =>
      (await pgQuery<{ status: string; sentiment_label: string }>(pg.url, 'SELECT status, sentiment_label FROM mentions WHERE id = $1', [target.mention]))[0];

    // HTTP click on node 1.
    expect((await signedPost(n1.url, blockActionsBody(target, message, { action_id: 'earshot_handle', type: 'button', value: String(target.mention) }))).status).toBe(200);
    const [handled] = await slack.waitForUpdates(1, 30_000);
    expect(handled).toMatchObject({ channel: message.channel, ts: message.ts });
    expect(JSON.stringify(handled!.blocks)).toMatch(/✓ Handled by @maria at <!date\^\d+\^\{time\}\|\d\d:\d\d UTC>/);
    expect((await statusOf())?.status).toBe('handled');

    // Socket Mode: Slack hands the envelope to one of the two connections.
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
    const afterSocket = await slack.waitForUpdates(2, 30_000);
    expect(JSON.stringify(afterSocket[1]!.blocks)).toContain('Sentiment set to neutral by @maria');
    expect(await statusOf()).toEqual({ status: 'handled', sentiment_label: 'neutral' });

    // The JSON API on node 2.
    const reopened = await fetch(`${n2.url}/api/mentions/${target.mention}/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'reopen' }),
    });
    expect(reopened.status).toBe(200);
    const afterApi = await slack.waitForUpdates(3, 30_000);
    expect(JSON.stringify(afterApi[2]!.blocks)).toMatch(/↺ Reopened by the earshot API/);
    expect((await statusOf())?.status).toBe('open');

    // One edit per change, by the node that applied it: the other node edits nothing.
    const edits = async () =>
      (await metric(n1, 'earshot_slack_message_updates_total{outcome="sent"}')) + (await metric(n2, 'earshot_slack_message_updates_total{outcome="sent"}'));
    await until(async () => (await edits()) >= 3, 30_000, 'three message edits in the nodes\' /metrics');
    expect(await edits()).toBe(3);
    expect(slack.updates).toHaveLength(3);

    // The same signed click reaching both nodes at once (a retry behind a load balancer): one
    // node applies it, the other refuses it as a replay (the signatures seen are shared in the
    // database, as one node's guard refuses a replay), so one change and one edit.
    const again = blockActionsBody(target, message, { action_id: 'earshot_handle', type: 'button', value: String(target.mention) });
    const answers = await Promise.all([signedPost(n1.url, again), signedPost(n2.url, again)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
    const clicks = async (outcome: string) =>
      (await metric(n1, `earshot_slack_clicks_total{via="http",outcome="${outcome}"}`)) + (await metric(n2, `earshot_slack_clicks_total{via="http",outcome="${outcome}"}`));
    await until(async () => (await clicks('applied')) === 2, 30_000, 'the click to be applied');
    await until(async () => (await edits()) >= 4, 30_000, 'the edit of the change');
    expect(await clicks('repeat')).toBe(0);
    expect((await metric(n1, 'earshot_slack_requests_refused_total{reason="replayed"}')) + (await metric(n2, 'earshot_slack_requests_refused_total{reason="replayed"}'))).toBe(1);
    expect(await edits()).toBe(4);
    expect(slack.updates).toHaveLength(4);
    expect(JSON.stringify(slack.updates[3]!.blocks)).toMatch(/✓ Handled by @maria/);

    const events = await pgQuery<{ action: string; actor_kind: string; actor_id: string }>(
      pg.url,
      'SELECT action, actor_kind, actor_id FROM mention_events WHERE mention_id = $1 ORDER BY id',
      [target.mention],
    );
    expect(events).toEqual([
      { action: 'handle', actor_kind: 'slack', actor_id: 'U024BE7LH' },
      { action: 'sentiment', actor_kind: 'slack', actor_id: 'U024BE7LH' },
      { action: 'reopen', actor_kind: 'api', actor_id: 'api' },
      { action: 'handle', actor_kind: 'slack', actor_id: 'U024BE7LH' },
    ]);

    for (const n of nodes) n.child.kill('SIGTERM');
    const codes = await Promise.all(nodes.map((n) => new Promise((r) => (n.child.exitCode !== null ? r(n.child.exitCode) : n.child.on('exit', r)))));
    expect(codes).toEqual([0, 0]);
    for (const n of nodes) for (const secret of [SECRET, slack.appToken, slack.token, API_TOKEN, new URL(pg.url).password]) expect(n.log()).not.toContain(secret);
  }, 300_000);
});
