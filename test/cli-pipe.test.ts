/**
 * A reader that stops early (`earshot mentions | head -2`) closes the pipe; every command that
 * writes to standard output must then end quietly with exit 0, not with "write EPIPE" and a stack.
 * Real processes in a real shell pipeline, with more output than a pipe buffer holds.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledCli } from '../scripts/soak.js';
import { makeDeployment, runCli } from './helpers/cli.js';

let dir: string;
let launcher: string;

beforeAll(async () => {
  launcher = compiledCli();
  dir = makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never.xml\n`,
    'rules/alerts.yaml': `rules:\n  - name: every-mention\n    match: { brand: acme }\n    notify: [{ slack: "#alerts" }]\n`,
    '.env': 'SLACK_BOT_TOKEN=xoxb-test\nSLACK_API_URL=http://127.0.0.1:9/api/\n',
  });
  const now = Date.now();
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++) {
    lines.push(JSON.stringify({
      brand: 'acme',
      source: 'rss',
      id: `item-${i}`,
      url: `https://news.example.com/acme/${i}`,
      author: `writer${i % 17}`,
      title: `Acme Cloud story ${i}`,
      text: `Acme Cloud story number ${i}: ${i % 2 ? 'the outage lasted hours and support never answered' : 'the new dashboard is lovely and fast'}.`,
      published: new Date(now - i * 60_000).toISOString(),
    }));
  }
  writeFileSync(join(dir, 'mentions.jsonl'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'texts.jsonl'), lines.join('\n') + '\n');
  const imported = await runCli(dir, ['import', join(dir, 'mentions.jsonl'), '--no-alerts']);
  expect(imported.code, imported.stderr).toBe(0);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `earshot ARGS | head -N` and returns earshot's own exit status and standard error. */
function pipeToHead(args: string[], lines = 2): { status: number; stderr: string; head: string } {
  const quoted = [process.execPath, launcher, '--config-dir', dir, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `${quoted} 2>"$ERR" | head -${lines}; echo "status=\${PIPESTATUS[0]}" >&2`;
  const errFile = join(dir, `stderr-${args.join('-').replace(/[^a-z0-9-]/gi, '')}.txt`);
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, ERR: errFile, EARSHOT_LOG_LEVEL: 'warn' }, timeout: 60_000 });
  const status = Number(/status=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
  const stderr = spawnSync('cat', [errFile], { encoding: 'utf8' }).stdout;
  return { status, stderr, head: r.stdout };
}

describe('a closed output pipe', () => {
  it.each([
    ['mentions', ['mentions', '--since', '30d', '--limit', '2000']],
    ['mentions --json', ['mentions', '--since', '30d', '--limit', '2000', '--json']],
    ['export csv', ['export', '--format', 'csv']],
    ['export jsonl', ['export', '--format', 'jsonl']],
    ['analyze --input', ['analyze', '--input', 'texts.jsonl']],
    ['rules test --json', ['rules', 'test', '--replay', '--since', '30d', '--show', '2000', '--json']],
  ])('%s | head ends quietly with exit 0', (_name, args) => {
    const r = pipeToHead(args.map((a) => (a.endsWith('.jsonl') ? join(dir, a) : a)));
    expect(r.head.split('\n').filter(Boolean)).toHaveLength(2);
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(r.status).toBe(0);
  }, 60_000);

  it('still reports a real failure after the reader left', () => {
    const r = pipeToHead(['mentions', '--sentiment', 'furious']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--sentiment furious/);
  }, 60_000);
});
