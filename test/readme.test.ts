/** The README's config examples must be valid: a user copies them first. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { formatProblem } from '../src/config/problems.js';
import { makeDeployment, repoRoot, runCli } from './helpers/cli.js';

function yamlBlockAfter(markdown: string, heading: string): string {
  const at = markdown.indexOf(heading);
  expect(at, `README has "${heading}"`).toBeGreaterThanOrEqual(0);
  const match = /```yaml\n([\s\S]*?)```/.exec(markdown.slice(at));
  expect(match, `a yaml block after "${heading}"`).not.toBeNull();
  return match![1]!;
}

describe('README examples', () => {
  it('the sources and rules examples pass earshot check', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const dir = makeDeployment({
      'sources/acme.yaml': yamlBlockAfter(readme, '### sources/*.yaml'),
      'rules/alerts.yaml': yamlBlockAfter(readme, '### rules/*.yaml'),
    });
    const { config, problems } = loadConfig(dir, {});
    expect(problems.filter((p) => p.severity === 'error').map(formatProblem)).toEqual([]);
    expect(config.rules.map((r) => r.type)).toEqual(['mention', 'volume', 'spike', 'silence']);
    expect(config.sources.map((s) => s.type)).toEqual(['rss', 'reddit', 'twitter', 'hackernews']);
    expect(config.budgets).toHaveLength(1);
  });
});

describe('.env.example', () => {
  it('is what `earshot init` writes, and names every variable README documents', async () => {
    const { INIT_FILES } = await import('../src/cli/init.js');
    const example = readFileSync(join(repoRoot, '.env.example'), 'utf8');
    expect(example).toBe(INIT_FILES.find(([name]) => name === '.env.example')![1]);
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const envSection = readme.slice(readme.indexOf('### Environment (.env)'), readme.indexOf('## Commands'));
    const documented = [...envSection.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!);
    for (const name of new Set(documented)) {
      if (name === 'EARSHOT_HOME') continue; // where .env itself is found; set in the environment
      expect(example, `${name} in .env.example`).toContain(name);
    }
  });
});

describe('README commands table', () => {
  it('lists every command the CLI has, and no command it lacks', async () => {
    const help = await runCli(makeDeployment({}), ['--help']);
    const commands = [...help.stdout.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Commands'), readme.indexOf('## Operating earshot'));
    const listed = [...new Set([...table.matchAll(/^\| `earshot ([a-z][a-z-]*)/gm)].map((m) => m[1]!))];
    expect(commands.length).toBeGreaterThan(10);
    expect(listed.sort()).toEqual(commands.sort());
  });
});

describe('README environment table', () => {
  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
    );
  }

  it('names every variable earshot reads from its environment', () => {
    const read = new Set<string>();
    for (const file of sources(join(repoRoot, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?<!process\.)\benv\.([A-Z][A-Z0-9_]{2,})\b/g)) read.add(m[1]!);
    }
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('### Environment (.env)'), readme.indexOf('## Commands'));
    expect(read.size).toBeGreaterThan(20);
    expect([...read].filter((name) => !table.includes(`\`${name}\``)).sort()).toEqual([]);
  });
});
