/** The digest fields of rules/*.yaml: defaults, and problems reported at file:line:col. */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { writeDeployment } from './helpers/digest-fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function load(digestExtra?: string) {
  const dir = writeDeployment(digestExtra ? { digestExtra } : {});
  dirs.push(dir);
  return loadConfig(dir);
}

describe('digest config', () => {
  it('defaults: a short quiet-day digest, 6h catch-up, no List-Unsubscribe', () => {
    const { config, problems } = load();
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(config.digests).toEqual([
      {
        name: 'daily', brands: ['acme'], schedule: '0 8 * * *', timezone: 'Europe/Berlin', to: ['team@example.com', 'lead@example.com'],
        quietDay: 'short', catchUpMs: 6 * 3_600_000, listUnsubscribe: null, file: 'rules/alerts.yaml', line: 10,
      },
    ]);
  });

  it('reads quiet_day, catch_up and list_unsubscribe', () => {
    const { config } = load('    quiet_day: skip\n    catch_up: 90m\n    list_unsubscribe: https://lists.example.com/u?l=daily');
    expect(config.digests[0]).toMatchObject({ quietDay: 'skip', catchUpMs: 90 * 60_000, listUnsubscribe: 'https://lists.example.com/u?l=daily' });
  });

  it.each([
    ['    quiet_day: never', 'digests[0].quiet_day', 'quiet_day is short (a short "quiet day" digest) or skip (none)'],
    ['    catch_up: 6', 'digests[0].catch_up', 'expected a duration like 30s, 15m, 2h or 7d (a number with a unit)'],
    ['    catch_up: soon', 'digests[0].catch_up', '"soon" is not a duration: write it like 30s, 15m, 2h or 7d'],
    ['    list_unsubscribe: http://x.example.com', 'digests[0].list_unsubscribe', 'list_unsubscribe is a mailto: address or an https:// URL'],
  ])('%s is reported with its path and what to write', (extra, path, message) => {
    const { problems } = load(extra);
    expect(problems.filter((p) => p.severity === 'error').map((p) => ({ file: p.file, line: p.line, path: p.path, message: p.message }))).toEqual([
      { file: 'rules/alerts.yaml', line: 15, path, message },
    ]);
  });
});
