/**
 * `earshot migrate-db --to postgres://…` on a deployment filled through the real pipeline
 * (`earshot import` with alerts to a local Slack): the copy's counts, its report, and its errors.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeployment, runCli } from './helpers/cli.js';
import { pgQuery, postgresAvailability, startTestPostgres, withSkipReason, type TestPostgres } from './helpers/postgres.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';

const availability = postgresAvailability();
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

describe.skipIf(!availability.ok)(withSkipReason('earshot migrate-db', availability), () => {
  let pg: TestPostgres;
  let slack: SlackServer;
  beforeAll(async () => {
    pg = await startTestPostgres();
    slack = await startSlackServer();
  }, 120_000);
  afterAll(async () => {
    await slack?.close();
    await pg?.stop();
  }, 60_000);

  function deployment(): string {
    return makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud" OR acmecloud'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never-polled.xml\n`,
      'rules/alerts.yaml': `rules:\n  - name: negative\n    match: { brand: acme, sentiment: negative }\n    notify: [{ slack: "#alerts" }]\n`,
      '.env': `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\n`,
    });
  }

  it('copies a deployment made by the pipeline and prints matching counts', async () => {
    const dir = deployment();
    const lines = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({
        brand: 'acme',
        source: 'twitter',
        id: `t${i}`,
        url: `https://x.com/u/status/${i}`,
        author: `user${i}`,
        title: '',
        text: i % 3 ? `acme cloud is fine today (${i})` : `acme cloud lost my files (${i}), worst support, refund now`,
        published: hoursAgo(12 - i),
      }),
    );
    writeFileSync(join(dir, 'in.jsonl'), lines.join('\n') + '\n');
    expect((await runCli(dir, ['import', join(dir, 'in.jsonl')])).code).toBe(0);

    const url = await pg.createDatabase('migrate');
    const r = await runCli(dir, ['migrate-db', '--to', url]);
    expect(r.stderr).toContain(`into ${url.replace(new URL(url).password, '***')}`);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^mentions\s+12\s+12$/m);
    expect(r.stdout).toMatch(/^alerts\s+(\d+)\s+\1$/m);
    expect(r.stdout).toMatch(/^deliveries\s+(\d+)\s+\1$/m);
    expect(r.stdout).toContain("every table's count matches");
    const [counts] = await pgQuery<{ mentions: string; sent: string; alerted: string }>(
      url,
      `SELECT (SELECT count(*) FROM mentions) AS mentions, (SELECT count(*) FROM deliveries WHERE status = 'sent') AS sent,
         (SELECT count(*) FROM alert_mentions) AS alerted`,
    );
    expect(counts).toEqual({ mentions: '12', sent: expect.stringMatching(/^[1-9]/), alerted: '4' });
    for (const out of [r.stdout, r.stderr]) expect(out).not.toContain(new URL(url).password);

    // Every command reads the copy with --database-url (or EARSHOT_DATABASE_URL): the same mentions as the SQLite file.
    const fromSqlite = await runCli(dir, ['mentions', '--since', '7d', '--duplicates', '--json']);
    const fromPg = await runCli(dir, ['--database-url', url, 'mentions', '--since', '7d', '--duplicates', '--json']);
    expect(fromPg.code, fromPg.stderr).toBe(0);
    expect(fromPg.stdout.split('\n')).toHaveLength(12);
    expect(fromPg.stdout).toBe(fromSqlite.stdout);
    const searched = await runCli(dir, ['--database-url', url, 'mentions', '--since', '7d', '--search', '"lost my files"', '--json']);
    expect(searched.stdout.split('\n')).toHaveLength(4);

    // Again into the same database: refused, nothing changed.
    const again = await runCli(dir, ['migrate-db', '--to', url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already holds data');
    expect((await pgQuery<{ n: string }>(url, 'SELECT count(*) AS n FROM mentions'))[0]!.n).toBe('12');
  });

  it('says what is wrong with the target, never showing its password', async () => {
    const dir = deployment();
    writeFileSync(join(dir, 'in.jsonl'), JSON.stringify({ brand: 'acme', source: 'twitter', id: '1', url: null, author: 'a', title: '', text: 'acme cloud', published: hoursAgo(1) }) + '\n');
    await runCli(dir, ['import', join(dir, 'in.jsonl'), '--no-alerts']);
    const missing = await runCli(dir, ['migrate-db']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--to: give the PostgreSQL database');
    const notPg = await runCli(dir, ['migrate-db', '--to', 'mysql://u:hunter22@h/db']);
    expect(notPg.code).toBe(1);
    expect(notPg.stderr).toContain('is not a PostgreSQL URL');
    expect(notPg.stderr).not.toContain('hunter22');
    const wrong = new URL(pg.url);
    wrong.password = 'wrong-password-123';
    const refused = await runCli(dir, ['migrate-db', '--to', wrong.toString()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('password authentication failed');
    expect(refused.stderr).toContain('Check --to:');
    expect(refused.stderr).not.toContain('EARSHOT_DATABASE_URL');
    expect(refused.stderr).not.toContain('wrong-password-123');
    const noDb = await runCli(makeDeployment({ 'sources/.keep': '' }), ['migrate-db', '--to', pg.url]);
    expect(noDb.code).toBe(1);
    expect(noDb.stderr).toContain('no SQLite database at');
  });
});
