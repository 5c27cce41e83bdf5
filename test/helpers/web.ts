/**
 * A real earshot web server for tests: a deployment on disk (brand acme, plus globex for share of
 * voice), a real SQLite file, the ops server with the web app on 127.0.0.1 port 0, and helpers to
 * seed mentions and sign in over HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/load.js';
import { silentLogger, type Logger } from '../../src/core/log.js';
import { writeDeployment } from './digest-fixture.js';
import { seedMentionSync, type SeedMention } from './digest-seed.js';
import { startOpsServer, type OpsServer } from '../../src/ops/server.js';
import type { Db } from '../../src/store/sqlite/db.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/store.js';
import { triageStore } from '../../src/store/sqlite/triage.js';
import type { TriageStore } from '../../src/store/triage-types.js';
import { createWebApp, type WebApp } from '../../src/web/app.js';

export const TEST_PASSWORD = 'correct horse battery staple';
export const TEST_API_TOKEN = 'test-api-token-0123456789abcdef';

export const GLOBEX_SOURCES = [
  'brand: globex',
  'name: Globex',
  "query: 'globex'",
  'sources:',
  '  - type: rss',
  '    url: https://globex.example.org/feed.xml',
  '',
].join('\n');

export interface WebServer {
  url: string;
  db: Db;
  /** The store the dashboards read (the same SQLite connection as db). */
  dataStore: SqliteStore;
  store: TriageStore;
  config: Config;
  web: WebApp;
  server: OpsServer;
  dir: string;
  seed(m: Omit<SeedMention, 'at'> & { at?: string }): number;
  close(): Promise<void>;
}

export interface WebServerOptions {
  env?: Record<string, string | undefined>;
  now?: () => Date;
  log?: Logger;
  liveIntervalMs?: number;
}

let counter = 0;

export async function startWebServer(options: WebServerOptions = {}): Promise<WebServer> {
  const dir = writeDeployment({ brands: null, extraFiles: { 'sources/globex.yaml': GLOBEX_SOURCES } });
  const dataDir = mkdtempSync(join(tmpdir(), 'earshot-web-'));
  const dbPath = join(dataDir, 'earshot.db');
  const dataStore = openSqliteStore(dbPath);
  const db = dataStore.db;
  const { config } = loadConfig(dir, {});
  const store = triageStore(db);
  const log = options.log ?? silentLogger();
  const env = options.env ?? { EARSHOT_UI_PASSWORD: TEST_PASSWORD, EARSHOT_API_TOKEN: TEST_API_TOKEN };
  const web = createWebApp({ dataStore, store, config: () => config, env, log, ...(options.now ? { now: options.now } : {}), liveIntervalMs: options.liveIntervalMs ?? 100 });
  const scheduler = { health: () => ({ running: true, lastPassAt: new Date(), lastPassError: null }) };
  const server = await startOpsServer({ address: { host: '127.0.0.1', port: 0, exposed: false }, store: dataStore, scheduler, log, web });
  return {
    url: server.url,
    db,
    dataStore,
    store,
    config,
    web,
    server,
    dir,
    seed: (m) => seedMentionSync(db, { at: new Date(Date.now() - 60_000).toISOString(), ...m, id: m.id ?? `seed-${++counter}` }),
    close: async () => {
      web.close();
      await server.close();
      await dataStore.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Signs in over HTTP (fetch): returns the session cookie and the CSRF token from the inbox page. */
export async function signIn(url: string, password = TEST_PASSWORD, name = 'maria'): Promise<{ cookie: string; csrf: string }> {
  const form = await fetch(`${url}/login`);
  const loginCookie = form.headers.getSetCookie().map((c) => c.split(';')[0]!).join('; ');
  const token = /name="_login" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!token) throw new Error('no login token on /login');
  const res = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
    body: new URLSearchParams({ _login: token, password, name, next: '/' }).toString(),
  });
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .filter((c) => c.startsWith('earshot_session='))
    .map((c) => c.split(';')[0]!)
    .join('; ');
  const inbox = await (await fetch(`${url}/`, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(inbox)?.[1];
  if (!csrf) throw new Error('no CSRF token on the inbox');
  return { cookie, csrf };
}
