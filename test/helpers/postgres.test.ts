import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './cli.js';
import { pgQuery, postgresAvailability, startTestPostgres, withSkipReason, type TestPostgres } from './postgres.js';
import { until } from './wait.js';

const availability = postgresAvailability();

describe.skipIf(!availability.ok)(withSkipReason('test PostgreSQL harness', availability), () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await startTestPostgres();
  }, 120_000);
  afterAll(() => pg?.stop(), 60_000);

  it('gives a fresh, empty database reachable over TCP on 127.0.0.1 with a password', async () => {
    const url = new URL(pg.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.password.length).toBeGreaterThan(10);
    expect(url.pathname).toBe(`/${pg.database}`);
    const rows = await pgQuery<{ n: string }>(pg.url, "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'");
    expect(rows[0]!.n).toBe('0');
    const [version] = await pgQuery<{ server_version_num: string }>(pg.url, 'SHOW server_version_num');
    expect(Number(version!.server_version_num)).toBeGreaterThanOrEqual(130000);
  });

  it('refuses a wrong password', async () => {
    const url = new URL(pg.url);
    url.password = 'wrong';
    await expect(pgQuery(url.toString(), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
  });

  it('creates further databases that do not share tables', async () => {
    const other = await pg.createDatabase('harness');
    await pgQuery(other, 'CREATE TABLE t (x int)');
    const here = await pgQuery<{ n: string }>(pg.url, "SELECT count(*) AS n FROM pg_tables WHERE tablename = 't'");
    const there = await pgQuery<{ n: string }>(other, "SELECT count(*) AS n FROM pg_tables WHERE tablename = 't'");
    expect([here[0]!.n, there[0]!.n]).toEqual(['0', '1']);
  });

  it.skipIf(availability.ok && availability.source === 'url')(
    'stops the server and removes its directory when the test process dies without stop()',
    async () => {
      // A child process starts a server, prints its URL and data dir, then is SIGKILLed.
      const script = `
        import { startTestPostgres } from ${JSON.stringify(join(repoRoot, 'test/helpers/postgres.ts'))};
        const pg = await startTestPostgres();
        console.log(JSON.stringify({ url: pg.adminUrl }));
        setInterval(() => {}, 1000);
      `;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const line = await until(() => out.split('\n').find((l) => l.startsWith('{')), 30_000, `child's server URL (stderr: ${err})`);
      const adminUrl = (JSON.parse(line) as { url: string }).url;
      const [setting] = await pgQuery<{ setting: string }>(adminUrl, "SELECT setting FROM pg_settings WHERE name = 'data_directory'");
      const dataDir = setting!.setting;
      expect(existsSync(dataDir)).toBe(true);
      child.kill('SIGKILL');
      await until(async () => pgQuery(adminUrl, 'SELECT 1').then(() => false, () => true), 15_000, 'the orphaned server to stop');
      await until(() => !existsSync(dataDir), 15_000, 'its directory to be removed');
    },
    40_000,
  );
});
