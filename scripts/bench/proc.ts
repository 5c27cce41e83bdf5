/** Child processes, timing and small statistics for the benchmarks. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const earshotBin = join(repoRoot, 'bin/earshot.js');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time. */
  ms: number;
  /** User + system CPU time of the child (from /usr/bin/time), null when unavailable. */
  cpuMs: number | null;
  /** Peak resident set of the child in kB (from /usr/bin/time), null when unavailable. */
  maxRssKb: number | null;
}

// GNU time reports the child's CPU time: on a shared machine, wall time alone says little.
const TIME = '/usr/bin/time';
const hasTime = existsSync(TIME);
const CPU_MARK = '__earshot_bench_cpu__';

/** Runs `node bin/earshot.js ARGS` to completion (the built CLI, as a user runs it). */
export function runEarshot(args: string[], env: Record<string, string | undefined> = {}, nodeArgs: string[] = []): Promise<RunResult> {
  return new Promise((res, rej) => {
    const started = performance.now();
    const argv = [...nodeArgs, earshotBin, ...args];
    const child = spawn(hasTime ? TIME : process.execPath, hasTime ? ['-f', `${CPU_MARK} %U %S %M`, process.execPath, ...argv] : argv, {
      cwd: repoRoot,
      env: { ...process.env, EARSHOT_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', rej);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const m = new RegExp(`${CPU_MARK} ([\\d.]+) ([\\d.]+) (\\d+)\\s*$`).exec(stderr);
      if (m) stderr = stderr.slice(0, m.index);
      res({ code, stdout, stderr, ms, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : null, maxRssKb: m ? Number(m[3]) : null });
    });
  });
}

/** CPU time (user + system) of this process so far, ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Starts `node bin/earshot.js ARGS` and leaves it running. */
export function spawnEarshot(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [earshotBin, ...args], {
    cwd: repoRoot,
    env: { ...process.env, EARSHOT_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function stopChild(child: ChildProcess, timeoutMs = 5000): Promise<number | null> {
  return new Promise((res) => {
    if (child.exitCode !== null) return res(child.exitCode);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      res(code);
    });
    child.kill('SIGTERM');
  });
}

/** A temporary deployment directory with the given files. */
export function makeDir(files: Record<string, string>, prefix = 'earshot-bench-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

/** Removes a directory made by makeDir (the ingest databases alone take a few hundred MB). */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}
