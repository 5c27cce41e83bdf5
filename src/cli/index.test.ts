import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, plainCheckArgs } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'earshot-cli-index-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function deployment(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
  return dir;
}

const SOURCE = `brand: acme\nname: Acme\nquery: 'acme'\nsources:\n  - type: rss\n    url: https://example.com/f.xml\n`;
const RULES = `rules:\n  - name: r\n    notify: [{ slack: "#a" }]\n`;
const ok = deployment('ok', { 'sources/acme.yaml': SOURCE, 'rules/a.yaml': RULES, '.env': 'SLACK_BOT_TOKEN=xoxb-test-1234\n' });
const warns = deployment('warns', { 'sources/acme.yaml': SOURCE, 'rules/a.yaml': RULES });
const broken = deployment('broken', { 'sources/acme.yaml': SOURCE + '    every: often\n', 'rules/a.yaml': RULES });

async function run(args: string[], commander: boolean): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'earshot', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, { commander });
  return { code, out, err };
}

describe('earshot check without commander', () => {
  const forms: string[][] = [];
  for (const dir of [ok, warns, broken, join(root, 'missing')]) {
    forms.push(
      ['--config-dir', dir, 'check'],
      [`--config-dir=${dir}`, 'check', '--strict'],
      ['check', '--config-dir', dir],
      ['--log-level', 'silent', 'check', '--config-dir', dir, '--strict'],
      ['--db', join(root, 'x.db'), '--config-dir', dir, 'check'],
    );
  }
  forms.push(['--config-dir', broken, 'check', '--config-dir', ok]);

  it('prints and exits exactly as through commander, for every plain form', async () => {
    const codes = new Set<number>();
    for (const args of forms) {
      expect(plainCheckArgs(args), args.join(' ')).not.toBeNull();
      const plain = await run(args, false);
      expect(plain, args.join(' ')).toEqual(await run(args, true));
      codes.add(plain.code);
    }
    expect([...codes].sort()).toEqual([0, 1]); // valid, warnings with --strict, errors and a missing dir were all covered
  });

  it('leaves help, typos, unknown options and missing values to commander', async () => {
    for (const args of [
      ['check', '--help'],
      ['--help', 'check'],
      ['check', '--strct'],
      ['--strict', 'check'],
      ['check', 'check'],
      ['chek'],
      ['--config-dir'],
      ['check', '--config-dir'],
      ['--config-dir=', 'check'],
      ['--config-dir', '--strict', 'check'],
      ['--log-level', 'loud', 'check'],
      ['status'],
      [],
    ]) {
      expect(plainCheckArgs(args), args.join(' ')).toBeNull();
    }
    const typo = await run(['--config-dir', ok, 'check', '--strct'], false);
    expect(typo.code).toBe(1);
    expect(typo.err.join('\n')).toContain("unknown option '--strct'");
  });

  it('reads the options it accepts', () => {
    expect(plainCheckArgs(['--config-dir=/a', '--db', '/b.db', '--log-level=warn', 'check', '--strict'])).toEqual({
      global: { configDir: '/a', db: '/b.db', logLevel: 'warn' },
      strict: true,
    });
    expect(plainCheckArgs(['--config-dir', '/a', '--config-dir', '/c', 'check'])).toEqual({ global: { configDir: '/c' }, strict: false });
  });
});
