/**
 * `earshot outbox list|retry`, and the offer to retry what failed before a notifier's settings
 * changed: a delivery that failed for good with a wrong Slack token is not lost. Real Slack
 * server, real SQLite, the CLI in process; the daemon's reload in process.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAnalyzer } from '../src/analyze/index.js';
import { loadConfig, loadEnv } from '../src/config/load.js';
import { createLogger } from '../src/core/log.js';
import { Daemon } from '../src/pipeline/daemon.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import { makeDeployment, runCli } from './helpers/cli.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';

let slack: SlackServer | null = null;
afterEach(async () => {
  await slack?.close();
  slack = null;
});

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

function deployment(server: SlackServer, token: string): string {
  const line = (id: string, text: string) => JSON.stringify({ brand: 'acme', source: 'twitter', id, url: `https://x.com/u/status/${id}`, author: 'dana', text, published: hoursAgo(1) });
  return makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/f.xml\n`,
    'rules/alerts.yaml':
      'rules:\n  - name: outage\n    match: { text: outage }\n    notify: [{ slack: "#ops" }]\n  - name: refund\n    match: { text: refund }\n    notify: [{ slack: "#billing" }]\n',
    '.env': `SLACK_BOT_TOKEN=${token}\nSLACK_API_URL=${server.url}\n`,
    'in.jsonl': [line('1', 'acme cloud outage again, nothing works'), line('2', 'acme cloud: I want a refund')].join('\n') + '\n',
  });
}

function fixToken(dir: string, token: string): void {
  const env = readFileSync(join(dir, '.env'), 'utf8').replace(/^SLACK_BOT_TOKEN=.*$/m, `SLACK_BOT_TOKEN=${token}`);
  writeFileSync(join(dir, '.env'), env);
}

describe('earshot outbox', () => {
  it('lists failed deliveries, offers a retry once the settings changed, and retries by rule', async () => {
    slack = await startSlackServer();
    const dir = deployment(slack, 'xoxb-wrong');
    const imported = await runCli(dir, ['import', join(dir, 'in.jsonl')]);
    expect(imported.code).toBe(1);
    expect(slack.messages).toHaveLength(0);

    const typo = await runCli(dir, ['outbox', 'list', '--failed', '--notifier', 'slak']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toBe('earshot: --notifier slak: no such notifier; notifiers are slack, email, webhook, discord, teams');
    const failed = await runCli(dir, ['outbox', 'list', '--failed']);
    expect(failed.code).toBe(0);
    expect(failed.stdout).toMatch(/^ID +STATUS +RULE +BRAND +TO +TRIES +FAILED AT +LAST ERROR$/m);
    expect(failed.stdout).toMatch(/^ *\d+ +failed +outage +acme +slack #ops +1 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC +Slack: invalid_auth for #ops/m);
    expect(failed.stdout).toMatch(/^ *\d+ +failed +refund +acme +slack #billing +1 +.* UTC +Slack: invalid_auth for #billing/m);
    const json = (await runCli(dir, ['outbox', 'list', '--failed', '--json'])).stdout.split('\n').map((l) => JSON.parse(l) as { rule: string; status: string; lastError: string });
    expect(json.map((d) => [d.rule, d.status])).toEqual([['outage', 'failed'], ['refund', 'failed']]);
    expect((await runCli(dir, ['outbox', 'list'])).stdout).toBe('no pending deliveries');
    // Nothing changed yet: no offer.
    expect((await runCli(dir, ['status'])).stdout).not.toMatch(/outbox retry/);

    fixToken(dir, slack.token);
    const status = await runCli(dir, ['status']);
    expect(status.stdout).toContain('2 slack deliveries failed before its settings changed: `earshot outbox retry --failed --notifier slack` sends them again');
    const statusJson = JSON.parse((await runCli(dir, ['status', '--json'])).stdout) as { outbox: { retryOffers: unknown } };
    expect(statusJson.outbox.retryOffers).toEqual([{ notifier: 'slack', failed: 2 }]);

    const one = await runCli(dir, ['outbox', 'retry', '--failed', '--rule', 'outage']);
    expect(one.stdout).toMatch(/^1 delivery queued again; 1 sent$/m);
    expect(one.code).toBe(0);
    expect(slack.messages.map((m) => m.channel)).toEqual(['#ops']);
    const rest = await runCli(dir, ['outbox', 'retry', '--failed']);
    expect(rest.stdout).toMatch(/^1 delivery queued again; 1 sent$/m);
    expect(slack.messages.map((m) => m.channel)).toEqual(['#ops', '#billing']);
    expect((await runCli(dir, ['outbox', 'list', '--failed'])).stdout).toBe('no failed deliveries');
    expect((await runCli(dir, ['status'])).stdout).not.toMatch(/outbox retry/);

    const none = await runCli(dir, ['outbox', 'retry', '--failed', '--rule', 'nosuch']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('--rule nosuch: no such rule; rules are outage, refund');
  });

  it('the daemon logs the offer when a reload changes the settings a delivery failed with', async () => {
    slack = await startSlackServer();
    const dir = deployment(slack, 'xoxb-wrong');
    await runCli(dir, ['import', join(dir, 'in.jsonl')]);
    fixToken(dir, slack.token);
    const lines: string[] = [];
    const log = createLogger({ level: 'info', stream: { write: (line: string) => lines.push(line) > 0 } as unknown as NodeJS.WritableStream });
    const store = openSqliteStore(join(dir, 'data/earshot.db'));
    const { config } = loadConfig(dir, loadEnv(dir, {}));
    const daemon = new Daemon({ store, config, analyzer: createAnalyzer(), log, watch: false });
    try {
      expect(await daemon.reload()).toBe(true);
      const offer = lines.map((l) => JSON.parse(l) as { msg: string; notifier?: string; failed?: number }).find((l) => l.msg.includes('outbox retry'));
      expect(offer).toMatchObject({ notifier: 'slack', failed: 2 });
      expect(offer!.msg).toContain('`earshot outbox retry --failed --notifier slack`');
      expect(lines.join('\n')).not.toContain(slack.token);
    } finally {
      await daemon.stop();
      await store.close();
    }
  });
});
