/**
 * A spike rule compares the last window with the average of `baseline` earlier windows, so it
 * needs that much history. `rules test` must say why it stayed quiet, and history brought by
 * `earshot import` counts toward the baseline (a user who imports last month expects it to).
 */
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDeployment, runCli } from './helpers/cli.js';

const HOUR = 3_600_000;

function deployment(): string {
  return makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/f.xml\n`,
    'rules/alerts.yaml': `rules:\n  - name: volume-spike\n    type: spike\n    match: { brand: acme }\n    window: 1h\n    factor: 3\n    min_count: 10\n    notify: [{ email: "pr@example.com" }]\n`,
  });
}

/** `perHour` mentions in each of the `hours` hours before now, then `burst` in the last 30 minutes. */
function lines(hours: number, perHour: number, burst: number): string {
  const now = Date.now();
  const out: string[] = [];
  let n = 0;
  const add = (t: number) =>
    out.push(JSON.stringify({ brand: 'acme', source: 'twitter', id: `m${n}`, url: `https://x.com/u/status/${n++}`, author: `u${n % 50}`, text: `acme cloud note ${n}`, published: new Date(t).toISOString() }));
  for (let h = hours; h >= 1; h--) for (let i = 0; i < perHour; i++) add(now - h * HOUR + (i + 0.5) * (HOUR / perHour));
  for (let i = 0; i < burst; i++) add(now - 30 * 60_000 + i * 60_000);
  return out.join('\n') + '\n';
}

describe('spike rules and their history', () => {
  it('rules test says how much history a quiet spike rule needs and has', async () => {
    const dir = deployment();
    writeFileSync(join(dir, 'in.jsonl'), lines(8, 2, 20));
    expect((await runCli(dir, ['import', join(dir, 'in.jsonl'), '--no-alerts'])).code).toBe(0);
    const r = await runCli(dir, ['rules', 'test', '--replay', '--since', '7d']);
    expect(r.stdout).toMatch(/^volume-spike: would have sent 0 alerts \(0 mentions\); needs 25 h of history \(24 baseline windows of 1h and the current one\), has 8 h: replay more with --since, or lower baseline$/m);
  });

  it('history brought by earshot import counts toward the baseline of the live rules', async () => {
    const dir = deployment();
    writeFileSync(join(dir, 'in.jsonl'), lines(30, 2, 20));
    const r = await runCli(dir, ['import', join(dir, 'in.jsonl')]);
    expect(r.stdout).toMatch(/; 1 alert$/m);
    const db = new Database(join(dir, 'data/earshot.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT rule, summary FROM alerts').all()).toEqual([{ rule: 'volume-spike', summary: expect.stringMatching(/spike/i) }]);
    } finally {
      db.close();
    }
  });
});
