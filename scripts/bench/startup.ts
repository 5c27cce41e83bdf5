/**
 * Benchmark 5: startup of `earshot check` (a fresh `node bin/earshot.js check`, median of N) and
 * of `createAnalyzer()` (model loading), in a fresh process and again warm in this one.
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { createAnalyzer } from '../../src/analyze/index.js';
import type { BenchBrand } from './corpus.js';
import { BENCH_RULES, brandFiles } from './ingest.js';
import { makeDir, median, removeDir, repoRoot, runEarshot } from './proc.js';

export interface StartupFigures {
  checkMedianMs: number;
  checkRuns: number[];
  checkCpuMedianMs: number | null;
  checkCode: number | null;
  /** Bare `node -e ''` on this machine, for scale. */
  nodeMedianMs: number;
  /**
   * The same two without NODE_EXTRA_CA_CERTS, when the environment sets it: node then reads
   * and parses that certificate bundle at every start (~60 ms here), before any earshot code.
   */
  withoutExtraCa: { checkMedianMs: number; nodeMedianMs: number } | null;
  analyzerColdMs: number;
  analyzerImportMs: number;
  analyzerWarmMs: number;
}

function nodeOnce(args: string[], env: Record<string, string | undefined> = {}): Promise<{ ms: number; stdout: string }> {
  return new Promise((res, rej) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', rej);
    child.on('exit', () => res({ ms: performance.now() - started, stdout }));
  });
}

export async function benchStartup(brands: BenchBrand[], runs: number): Promise<StartupFigures> {
  const dir = makeDir({
    ...brandFiles(brands, (b) => `  - type: rss\n    url: https://feeds.example.com/${b.id}.xml\n  - type: hackernews\n    query: ${b.name.toLowerCase()}\n`),
    'rules/alerts.yaml': BENCH_RULES,
    '.env': 'SLACK_BOT_TOKEN=xoxb-bench\n',
  });
  const checkRuns: number[] = [];
  const checkCpu: number[] = [];
  let checkCode: number | null = null;
  await runEarshot(['--config-dir', dir, 'check']); // warm the file cache; not counted
  for (let i = 0; i < runs; i++) {
    const r = await runEarshot(['--config-dir', dir, 'check']);
    checkRuns.push(r.ms);
    if (r.cpuMs !== null) checkCpu.push(r.cpuMs);
    checkCode = r.code;
  }
  const nodeRuns: number[] = [];
  for (let i = 0; i < runs; i++) nodeRuns.push((await nodeOnce(['-e', ''])).ms);
  let withoutExtraCa: StartupFigures['withoutExtraCa'] = null;
  if (process.env.NODE_EXTRA_CA_CERTS) {
    const noCa = { NODE_EXTRA_CA_CERTS: undefined };
    const check: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      check.push((await runEarshot(['--config-dir', dir, 'check'], noCa)).ms);
      bare.push((await nodeOnce(['-e', ''], noCa)).ms);
    }
    withoutExtraCa = { checkMedianMs: median(check), nodeMedianMs: median(bare) };
  }
  removeDir(dir);

  const entry = pathToFileURL(join(repoRoot, 'dist/analyze/index.js')).href;
  const script = `const t0 = performance.now(); const { createAnalyzer } = await import(${JSON.stringify(entry)}); const t1 = performance.now(); createAnalyzer(); const t2 = performance.now(); console.log(JSON.stringify({ importMs: t1 - t0, createMs: t2 - t1 }));`;
  const cold: Array<{ importMs: number; createMs: number }> = [];
  for (let i = 0; i < 5; i++) cold.push(JSON.parse((await nodeOnce(['--input-type=module', '-e', script])).stdout) as { importMs: number; createMs: number });

  createAnalyzer();
  const t = performance.now();
  createAnalyzer();
  const analyzerWarmMs = performance.now() - t;

  return {
    checkMedianMs: median(checkRuns),
    checkRuns,
    checkCpuMedianMs: checkCpu.length ? median(checkCpu) : null,
    checkCode,
    nodeMedianMs: median(nodeRuns),
    withoutExtraCa,
    analyzerColdMs: median(cold.map((c) => c.createMs)),
    analyzerImportMs: median(cold.map((c) => c.importMs)),
    analyzerWarmMs,
  };
}
