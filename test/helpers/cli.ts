/**
 * Running earshot in tests: in-process (`runCli`, fast, captures output) or as a real child
 * process (`spawnCli`, for kill/restart and signal tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/index.js';
import { until } from './wait.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process with `--config-dir dir`; the config's .env supplies the environment. */
export async function runCli(dir: string, args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'earshot', '--config-dir', dir, '--log-level', 'silent', ...args], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** Starts earshot as a child process (TypeScript via tsx). */
export function spawnCli(dir: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/helpers/earshot-dev.ts'), '--config-dir', dir, ...args], {
    cwd: repoRoot,
    env: { ...process.env, EARSHOT_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function collect(child: ChildProcess): { stdout: () => string; stderr: () => string; exited: Promise<number | null> } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { stdout: () => stdout, stderr: () => stderr, exited };
}

/**
 * The address `earshot run --http 127.0.0.1:0` bound, read from its log (JSON lines on stderr when
 * not a terminal). Generous by default: a child process starting under load is slow.
 */
export function listeningUrl(stderr: () => string, timeoutMs = 30_000): Promise<string> {
  return until(
    () => {
      for (const line of stderr().split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'http server listening') return entry.url;
      }
      return undefined;
    },
    timeoutMs,
    'the listening address in the log',
  );
}

/** A temporary deployment directory with the given files (paths relative to it). */
export function makeDeployment(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-test-'));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

export interface FeedItem {
  guid: string;
  title: string;
  description: string;
  link?: string;
  author?: string;
  pubDate?: Date;
}

/** A small RSS 2.0 document. */
export function rssFeed(items: FeedItem[], title = 'Test feed'): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = items
    .map(
      (i) => `<item><guid isPermaLink="false">${esc(i.guid)}</guid><title>${esc(i.title)}</title>` +
        `<link>${esc(i.link ?? `https://news.example.com/${i.guid}`)}</link>` +
        (i.author ? `<author>${esc(i.author)}</author>` : '') +
        `<description>${esc(i.description)}</description><pubDate>${(i.pubDate ?? new Date()).toUTCString()}</pubDate></item>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>${esc(title)}</title><link>https://news.example.com/</link><description>t</description>${body}</channel></rss>`;
}
