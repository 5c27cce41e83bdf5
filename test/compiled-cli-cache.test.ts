/**
 * scripts/soak.ts compiles src/ once and links the compiled tree to the checkout's node_modules,
 * models and package.json. A cached tree whose links lead somewhere else (an earlier checkout that
 * was deleted, or another worktree on the same machine) must never be used: that made a fresh
 * clone's `npm test` fail with "Cannot open database because the directory does not exist".
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compiledCli } from '../scripts/soak.js';

const cacheRoot = mkdtempSync(join(tmpdir(), 'earshot-cli-cache-test-'));
afterAll(() => rmSync(cacheRoot, { recursive: true, force: true }));

function version(launcher: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [launcher, '--version'], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

describe('compiled CLI cache', () => {
  it('rebuilds a cached tree whose links lead out of this checkout instead of using it', () => {
    const launcher = compiledCli({ cacheRoot });
    expect(version(launcher)).toMatchObject({ status: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+/) });

    // The stale state: the same sources were compiled by a checkout that no longer exists.
    const tree = dirname(launcher);
    for (const name of ['node_modules', 'models', 'package.json']) {
      const link = join(tree, name);
      expect(readlinkSync(link)).toBe(join(process.cwd(), name));
      unlinkSync(link);
      symlinkSync(join(cacheRoot, 'deleted-checkout', name), link);
    }
    expect(version(launcher).status).not.toBe(0);

    const again = compiledCli({ cacheRoot });
    expect(version(again)).toMatchObject({ status: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    for (const name of ['node_modules', 'models', 'package.json']) {
      expect(readlinkSync(join(dirname(again), name))).toBe(join(process.cwd(), name));
    }
  }, 120_000);

  it('rebuilds a tree that a killed build left without its launcher or compiled entry point', () => {
    const launcher = compiledCli({ cacheRoot });
    rmSync(join(dirname(launcher), 'dist/cli/index.js'));
    const again = compiledCli({ cacheRoot });
    expect(version(again)).toMatchObject({ status: 0 });
  }, 120_000);

  it('keeps its cache inside the checkout by default, where no other checkout can reach it', () => {
    const launcher = compiledCli();
    expect(launcher.startsWith(join(process.cwd(), '.cache') + '/')).toBe(true);
  }, 120_000);
});
