/**
 * A real PostgreSQL for a test file.
 *
 *   const pgCheck = postgresAvailability();
 *   describe.skipIf(!pgCheck.ok)(withSkipReason('store on PostgreSQL', pgCheck), () => {
 *     let pg: TestPostgres;
 *     beforeAll(async () => { pg = await startTestPostgres(); });   // a fresh database
 *     afterAll(() => pg?.stop());
 *     it('...', async () => { const url = pg.url; const other = await pg.createDatabase(); });
 *   });
 *
 * Where the server comes from:
 * - `EARSHOT_TEST_PG_URL` (a superuser URL, e.g. one server started by .ci/run for the whole run):
 *   each test file gets its own database on it, dropped at stop(). If that server cannot be
 *   reached the test fails: it was configured, so silence would hide a broken CI.
 * - otherwise a private server: `initdb` in a temp dir, `postgres` on 127.0.0.1 with a free port,
 *   no Unix socket, durability off (fsync, synchronous_commit: a test database is disposable).
 *   PostgreSQL refuses to run as root, so as root both run as the `postgres` user (runuser or su).
 *   A watchdog process stops the server and removes its directory if the test process dies
 *   without calling stop() (a killed vitest must not leave servers behind on a shared machine).
 *
 * Binaries: `EARSHOT_PG_BIN` (a directory), else `initdb` and `postgres` on PATH, else Debian's
 * /usr/lib/postgresql/<version>/bin (apt installs them there, not on PATH), newest first.
 * The superuser has a random password (scram over TCP), so URLs carry a secret like production.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, chownSync, closeSync, constants, existsSync, openSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** URL of this test file's fresh database (with the superuser's password). */
  readonly url: string;
  /** Name of that database. */
  readonly database: string;
  /** URL of the server's `postgres` database, for administration. */
  readonly adminUrl: string;
  /** Creates another empty database on the same server and returns its URL (dropped at stop()). */
  createDatabase(prefix?: string): Promise<string>;
  /**
   * Stops the server (fast shutdown: sessions are terminated with 57P01, as in a real restart)
   * and starts it again on the same port and data; `whileDown` runs in between (the server is
   * stopped until it resolves). Only for a server this handle started.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  /** Drops the databases this handle created; stops the server if this handle started it. */
  stop(): Promise<void>;
}

export type Availability = { ok: true; source: 'url' | 'binaries'; binDir?: string } | { ok: false; reason: string };

const MIN_MAJOR = 13; // pg-boss 10 needs 13+

/** Whether PostgreSQL tests can run here; cheap and synchronous, for describe.skipIf. */
export function postgresAvailability(): Availability {
  if (process.env.EARSHOT_TEST_PG_URL) return { ok: true, source: 'url' };
  const binDir = findBinDir();
  if (!binDir) {
    return {
      ok: false,
      reason:
        'PostgreSQL not found (no initdb/postgres on PATH, in EARSHOT_PG_BIN or /usr/lib/postgresql/*/bin); ' +
        'install it (apt-get install -y postgresql) or set EARSHOT_TEST_PG_URL',
    };
  }
  const major = serverMajor(binDir);
  if (major !== null && major < MIN_MAJOR) return { ok: false, reason: `PostgreSQL ${major} in ${binDir} is too old; earshot needs ${MIN_MAJOR} or newer` };
  if (isRoot() && postgresUid() === null) {
    return { ok: false, reason: 'running as root and there is no `postgres` user to run PostgreSQL as (it refuses root); create one or set EARSHOT_TEST_PG_URL' };
  }
  return { ok: true, source: 'binaries', binDir };
}

/** The describe title, with the reason when the suite is skipped. */
export function withSkipReason(title: string, availability: Availability): string {
  return availability.ok ? title : `${title} (SKIPPED: ${availability.reason})`;
}

/** A fresh database on the shared server (EARSHOT_TEST_PG_URL) or on a private one started now. */
export async function startTestPostgres(): Promise<TestPostgres> {
  const availability = postgresAvailability();
  if (!availability.ok) throw new Error(`PostgreSQL tests cannot run: ${availability.reason}`);
  const server = availability.source === 'url' ? sharedServer(process.env.EARSHOT_TEST_PG_URL!) : await startServer(availability.binDir!);
  const created: string[] = [];
  const createDatabase = async (prefix = 'earshot_test'): Promise<string> => {
    const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
    await adminQuery(server.adminUrl, `CREATE DATABASE ${name}`);
    created.push(name);
    return withDatabase(server.adminUrl, name);
  };
  let url: string;
  try {
    url = await createDatabase();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    url,
    database: created[0]!,
    adminUrl: server.adminUrl,
    createDatabase,
    restart: (whileDown) => server.restart(whileDown),
    async stop() {
      if (server.owned) return server.stop();
      for (const name of created.splice(0)) await adminQuery(server.adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Runs one statement on a URL with a short-lived client. */
export async function pgQuery<R extends pg.QueryResultRow = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  // A server stopping while this client is connected (a test that stops or restarts it) makes
  // the client emit 'error' besides rejecting the query; unheard, it fails the whole test run.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

interface Server {
  adminUrl: string;
  owned: boolean;
  restart(whileDown?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

function sharedServer(url: string): Server {
  return {
    adminUrl: url,
    owned: false,
    restart: () => Promise.reject(new Error('cannot restart a server given by EARSHOT_TEST_PG_URL; skip the test in that case')),
    stop: async () => {},
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  await pgQuery(url, sql);
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

// ---------------------------------------------------------------------------------------------
// Finding the binaries

function findBinDir(): string | null {
  const explicit = process.env.EARSHOT_PG_BIN;
  if (explicit) return hasBinaries(explicit) ? explicit : null;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && hasBinaries(dir)) return dir;
  }
  const debian = '/usr/lib/postgresql';
  if (!existsSync(debian)) return null;
  const versions = readdirSync(debian)
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = join(debian, version, 'bin');
    if (hasBinaries(dir)) return dir;
  }
  return null;
}

function hasBinaries(dir: string): boolean {
  return ['initdb', 'postgres'].every((name) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const majorCache = new Map<string, number | null>();
function serverMajor(binDir: string): number | null {
  if (!majorCache.has(binDir)) {
    let major: number | null = null;
    try {
      const out = execFileSync(join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' });
      const m = /(\d+)(?:\.\d+)?/.exec(out);
      major = m ? Number(m[1]) : null;
    } catch {
      major = null;
    }
    majorCache.set(binDir, major);
  }
  return majorCache.get(binDir)!;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

let postgresIds: { uid: number; gid: number } | null | undefined;
function postgresUid(): { uid: number; gid: number } | null {
  if (postgresIds === undefined) {
    try {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      postgresIds = Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
    } catch {
      postgresIds = null;
    }
  }
  return postgresIds;
}

/** The command line that runs `file args` as the postgres user when we are root. */
function asServerUser(file: string, args: string[]): [string, string[]] {
  if (!isRoot()) return [file, args];
  if (['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].some((path) => existsSync(path))) {
    return ['runuser', ['-u', 'postgres', '--', file, ...args]];
  }
  const quoted = [file, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
  return ['su', ['postgres', '-s', '/bin/sh', '-c', quoted]];
}

// ---------------------------------------------------------------------------------------------
// A private server

async function startServer(binDir: string): Promise<Server> {
  const dir = serverDir();
  const data = join(dir, 'data');
  const password = randomBytes(18).toString('base64url');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  const ids = isRoot() ? postgresUid() : null;
  if (ids) chownSync(pwfile, ids.uid, ids.gid);

  const [initFile, initArgs] = asServerUser(join(binDir, 'initdb'), [
    '-D', data, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-N', '-E', 'UTF8', '--locale=C',
  ]);
  try {
    execFileSync(initFile, initArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed in ${dir}: ${stderr.trim() || String(err)}`);
  }
  rmSync(pwfile, { force: true });

  // A free port can be taken between probing and binding: retry with another.
  let lastError: Error | null = null;
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = await freePort();
    try {
      let pid = await launch(binDir, dir, data, port);
      const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
      const watchdog = startWatchdog(data, dir);
      return {
        adminUrl,
        owned: true,
        restart: async (whileDown) => {
          await stopPostmaster(pid);
          try {
            await whileDown?.();
          } finally {
            pid = await launch(binDir, dir, data, port);
          }
        },
        stop: async () => {
          if (watchdog.pid) killQuietly(watchdog.pid, 'SIGKILL');
          await stopPostmaster(pid);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = err as Error;
      if (!/could not bind|Address already in use/i.test(lastError.message)) break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError ?? new Error('PostgreSQL did not start');
}

/** A temp dir the postgres user can reach (TMPDIR may sit under a directory it cannot enter). */
function serverDir(): string {
  const ids = isRoot() ? postgresUid() : null;
  for (const base of [tmpdir(), '/tmp']) {
    const dir = mkdtempSync(join(base, 'earshot-pg-'));
    if (!ids) return dir;
    chownSync(dir, ids.uid, ids.gid);
    chmodSync(dir, 0o700);
    const [file, args] = asServerUser('test', ['-w', dir]);
    try {
      execFileSync(file, args, { stdio: 'ignore' });
      return dir;
    } catch {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  throw new Error(`no temp directory the postgres user can write to (tried ${tmpdir()} and /tmp)`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts the postmaster and resolves with its pid once it accepts connections. */
async function launch(binDir: string, dir: string, data: string, port: number): Promise<number> {
  const logFile = join(dir, 'postgres.log');
  const [file, args] = asServerUser(join(binDir, 'postgres'), [
    '-D', data,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=',
    '-c', 'fsync=off',
    '-c', 'synchronous_commit=off',
    '-c', 'full_page_writes=off',
    '-c', 'max_connections=300',
    '-c', 'shared_buffers=32MB',
    '-c', `logging_collector=off`,
  ]);
  // The log goes to a file in the server's directory; spawned with a file descriptor so nothing
  // here has to keep reading it, and the child can outlive this process for the watchdog.
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(file, args, { stdio: ['ignore', fd, fd], detached: true });
  } finally {
    closeSync(fd);
  }
  child.unref();
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`postgres exited (${exited}) on start: ${tail(logFile)}`);
    const pid = postmasterPid(data);
    if (pid !== null && (await accepts(port))) return pid;
    if (Date.now() > deadline) {
      if (child.pid) killQuietly(child.pid, 'SIGKILL');
      throw new Error(`postgres did not accept connections on 127.0.0.1:${port} within 30 s: ${tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function postmasterPid(data: string): number | null {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function accepts(port: number): Promise<boolean> {
  // Trust holds only for local sockets, so this probe fails with a password error once the
  // server is up: that answer is enough to know it accepts connections.
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', password: 'probe', connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  return client.connect().then(
    () => client.end().then(() => true),
    (err: { code?: string }) => err.code === '28P01',
  );
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ');
  } catch {
    return '(no log)';
  }
}

/** Fast shutdown (SIGINT), then wait for the postmaster to exit; SIGQUIT after 10 s. */
async function stopPostmaster(pid: number): Promise<void> {
  killQuietly(pid, 'SIGINT');
  const deadline = Date.now() + 10_000;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      killQuietly(pid, 'SIGQUIT');
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * A detached shell that stops the server and removes its directory once this process is gone.
 * It reads the postmaster's pid from its pid file then, so a restarted server is stopped too.
 */
function startWatchdog(data: string, dir: string): ChildProcess {
  const script = `
    while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
    pg=$(head -n 1 '${join(data, 'postmaster.pid')}' 2>/dev/null)
    if [ -n "$pg" ]; then
      kill -INT "$pg" 2>/dev/null
      i=0; while kill -0 "$pg" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
      kill -QUIT "$pg" 2>/dev/null
    fi
    rm -rf '${dir}'`;
  const child = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true });
  child.unref();
  return child;
}
