/**
 * One-shot commands on PostgreSQL (`earshot import`, `poll --once`) share the database with
 * running nodes: they take the rules lock in turn and claim what they send, like a node.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeployment, runCli } from './helpers/cli.js';
import { pgQuery, postgresAvailability, startTestPostgres, withSkipReason, type TestPostgres } from './helpers/postgres.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';

const availability = postgresAvailability();

describe.skipIf(!availability.ok)(withSkipReason('one-shot commands on PostgreSQL', availability), () => {
  let pg: TestPostgres;
  let slack: SlackServer;
  beforeAll(async () => {
    [pg, slack] = await Promise.all([startTestPostgres(), startSlackServer()]);
  }, 120_000);
  afterAll(async () => {
    await slack?.close();
    await pg?.stop();
  }, 60_000);

  it('earshot import alerts through claims, one message per second to a channel, and leaves no claim behind', async () => {
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never.xml\n`,
      'rules/alerts.yaml': `rules:\n  - name: negative\n    match: { brand: acme, sentiment: negative }\n    notify: [{ slack: "#alerts" }]\n`,
      '.env': `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\nEARSHOT_DATABASE_URL=${pg.url}\n`,
    });
    const lines = [1, 2, 3].map((i) =>
      JSON.stringify({ brand: 'acme', source: 'twitter', id: `t${i}`, url: `https://x.com/u/status/${i}`, author: `u${i}`, title: '', text: `acme cloud lost my files (${i}), worst support, refund now`, published: new Date(Date.now() - i * 60_000).toISOString() }),
    );
    writeFileSync(join(dir, 'in.jsonl'), lines.join('\n') + '\n');
    const before = slack.messages.length;
    const r = await runCli(dir, ['import', join(dir, 'in.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    const sent = slack.messages.slice(before);
    expect(sent).toHaveLength(3);
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.receivedAt.getTime() - sent[i - 1]!.receivedAt.getTime()).toBeGreaterThanOrEqual(950);
    const [row] = await pgQuery<{ sent: string; claimed: string }>(pg.url, "SELECT count(*) FILTER (WHERE status = 'sent') AS sent, count(*) FILTER (WHERE claim_token IS NOT NULL) AS claimed FROM deliveries");
    expect(row).toEqual({ sent: '3', claimed: '0' });
  }, 120_000);

  it('earshot backup on PostgreSQL says to use pg_dump and exits 1, without a stack trace or the password', async () => {
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never.xml\n`,
      '.env': `EARSHOT_DATABASE_URL=${pg.url}\n`,
    });
    writeFileSync(join(dir, 'exists.db'), 'not overwritten, and not the point on PostgreSQL');
    const r = await runCli(dir, ['backup', join(dir, 'exists.db')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('pg_dump');
    expect(r.stderr).not.toContain('internal error');
    expect(r.stderr).not.toContain(new URL(pg.url).password);
  }, 120_000);
});
