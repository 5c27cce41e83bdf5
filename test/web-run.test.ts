/**
 * The UI in a real daemon: `earshot password` prints a hash (reading the password from a pipe),
 * `earshot run --http 127.0.0.1:0` with that hash in .env serves /login, signs in, lists the
 * mention the first poll stored, and the API acts on it; `earshot mentions --json` then shows
 * the new status.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePasswordHash, verifyPassword } from '../src/web/password.js';
import { collect, listeningUrl, makeDeployment, repoRoot, rssFeed, runCli, spawnCli } from './helpers/cli.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { until } from './helpers/wait.js';
import { signIn, TEST_API_TOKEN } from './helpers/web.js';

let feed: FeedServer;
beforeEach(async () => {
  feed = await startFeedServer();
});
afterEach(async () => {
  await feed.close();
});

function passwordCli(dir: string, input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/helpers/earshot-dev.ts'), '--config-dir', dir, 'password'], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out = collect(child);
  child.stdin!.end(input);
  return out.exited.then((code) => ({ code, stdout: out.stdout(), stderr: out.stderr() }));
}

describe('earshot password and earshot run --http', () => {
  it('hashes a piped password, and a daemon with that hash serves the UI and the API', async () => {
    feed.route('/feed.xml', { body: rssFeed([{ guid: 'g1', title: 'Acme Cloud status', description: 'Acme Cloud is slow today: 5 < 6 & "quotes"' }]) });
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feed.url('/feed.xml')}\n    every: 1h\n`,
      'rules/alerts.yaml': 'rules: []\n',
    });
    const short = await passwordCli(dir, 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('the password is 5 characters long: use at least 12');
    const made = await passwordCli(dir, 'a long team password\n');
    expect(made.code).toBe(0);
    expect(made.stdout).not.toContain('a long team password');
    const line = made.stdout.trim();
    expect(line).toMatch(/^EARSHOT_UI_PASSWORD_HASH=scrypt:16384:8:5:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/);
    const hash = line.slice('EARSHOT_UI_PASSWORD_HASH='.length);
    expect(await verifyPassword('a long team password', parsePasswordHash(hash))).toBe(true);
    expect(await verifyPassword('a long team passworD', parsePasswordHash(hash))).toBe(false);

    writeFileSync(join(dir, '.env'), `${line}\nEARSHOT_API_TOKEN=${TEST_API_TOKEN}\n`);
    const child = spawnCli(dir, ['run', '--http', '127.0.0.1:0']);
    const out = collect(child);
    try {
      const url = await listeningUrl(out.stderr);
      const api = async (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' } });
      const listed = await until(async () => {
        const body = (await (await api('/api/mentions')).json()) as { mentions: Array<{ id: number; text: string; status: string }> };
        return body.mentions.length === 1 && body.mentions[0];
      }, 20_000, 'the first poll in the API');
      expect(listed).toMatchObject({ status: 'open', text: 'Acme Cloud is slow today: 5 < 6 & "quotes"' });
      const { cookie } = await signIn(url, 'a long team password', 'maria');
      const inbox = await (await fetch(`${url}/`, { headers: { cookie } })).text();
      expect(inbox).toContain('Acme Cloud is slow today: 5 &lt; 6 &amp; &quot;quotes&quot;');
      expect((await api(`/api/mentions/${listed.id}/actions`, { method: 'POST', body: '{"action":"handle"}' })).status).toBe(200);
      // The same database, read by another command while the daemon runs.
      const json = await runCli(dir, ['mentions', '--json', '--since', '30d']);
      expect((JSON.parse(json.stdout) as { status: string }).status).toBe('handled');
      // No secret in the log.
      expect(out.stderr()).not.toContain(TEST_API_TOKEN);
      expect(out.stderr()).not.toContain(hash);
    } finally {
      child.kill('SIGTERM');
      expect(await out.exited).toBe(0);
    }
  });
});
