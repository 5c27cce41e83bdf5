/**
 * A brand's `exclude:` (authors, sites): what "Not relevant" suggests in the web UI. Pasting the
 * suggested YAML into the brand's file keeps such mentions out of `earshot import` and polls;
 * a malformed entry is reported by `earshot check` with its line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brandExclusions, excludedBy } from '../src/core/exclude.js';
import { suggestExclusions } from '../src/triage/exclusion.js';
import { makeDeployment, runCli } from './helpers/cli.js';

const SOURCES = `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never-polled.xml\n`;

describe('brand exclusions', () => {
  it.each([
    [{ author: '@SpamBot' }, 'author @SpamBot'],
    [{ author: 'u/spambot' }, 'author u/spambot'],
    [{ author: 'spambot ' }, 'author spambot '],
    [{ url: 'https://www.deals.example/acme' }, 'site deals.example'],
    [{ url: 'https://blog.deals.example/acme' }, 'site deals.example'],
    [{ linkUrl: 'http://deals.example/x', url: 'https://news.ycombinator.com/item?id=1' }, 'site deals.example'],
    [{ author: 'spambotx', url: 'https://notdeals.example/' }, null],
    [{ url: 'javascript:alert(1)' }, null],
  ])('%o -> %s', (item, why) => {
    const exclude = brandExclusions(['SpamBot'], ['www.Deals.example'])!;
    expect(excludedBy(exclude, { author: null, url: null, linkUrl: null, ...item })).toBe(why);
  });

  it('the YAML "Not relevant" suggests, pasted into the brand file, keeps such mentions out', async () => {
    const dir = makeDeployment({ 'sources/acme.yaml': SOURCES, 'rules/alerts.yaml': 'rules: []\n' });
    const spam = { author: 'deal_hunter', url: 'https://coupons.example/acme-cloud-50-off', source: 'twitter' as const };
    const [byAuthor] = suggestExclusions(spam, '"acme cloud"');
    const site = suggestExclusions({ ...spam, author: null, source: 'rss' }, '"acme cloud"').find((s) => s.kind === 'site')!;
    const term = suggestExclusions(spam, '"acme cloud"', '50% off').find((s) => s.kind === 'term')!;
    expect(byAuthor!.yaml).toBe("exclude:\n  authors: ['deal_hunter']");
    expect(site.yaml).toBe("exclude:\n  sites: ['coupons.example']");
    expect(term.yaml).toBe(`query: '"acme cloud" -"50% off"'`);
    const file = join(dir, 'sources/acme.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(`query: '"acme cloud"'\n`, `${term.yaml}\nexclude:\n  authors: ['deal_hunter']\n  sites: ['coupons.example']\n`));
    expect((await runCli(dir, ['check'])).code).toBe(0);
    const lines = [
      { brand: 'acme', source: 'twitter', id: '1', author: 'Deal_Hunter', url: 'https://x.com/1', text: 'Acme Cloud 50% off today only', published: new Date().toISOString() },
      { brand: 'acme', source: 'rss', id: '2', url: 'https://shop.coupons.example/acme', text: 'Acme Cloud coupon codes', published: new Date().toISOString() },
      { brand: 'acme', source: 'twitter', id: '3', author: 'someone', url: 'https://x.com/3', text: 'Acme Cloud, 50 off our bill after the outage credit', published: new Date().toISOString() },
      { brand: 'acme', source: 'twitter', id: '4', author: 'dana', url: 'https://x.com/4', text: 'Acme Cloud support was quick today', published: new Date().toISOString() },
    ];
    writeFileSync(join(dir, 'in.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect((await runCli(dir, ['import', join(dir, 'in.jsonl'), '--no-alerts'])).code).toBe(0);
    const stored = (await runCli(dir, ['mentions', '--json'])).stdout.split('\n').map((l) => (JSON.parse(l) as { sourceId: string }).sourceId);
    expect(stored).toEqual(['4']);
  });

  it('earshot check names a malformed exclusion', async () => {
    const dir = makeDeployment({
      'sources/acme.yaml': SOURCES.replace("query: '\"acme cloud\"'\n", `query: '"acme cloud"'\nexclude:\n  sites: ['https://deals.example/x']\n  people: [x]\n`),
      'rules/alerts.yaml': 'rules: []\n',
    });
    const check = await runCli(dir, ['check']);
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toMatch(/sources\/acme\.yaml:5:\d+: exclude\.sites\[0\]: a site is a host name like example\.com \(no https:\/\/, no path\)/);
    expect(check.stdout + check.stderr).toMatch(/sources\/acme\.yaml:\d+:\d+: exclude.*people/);
  });
});
