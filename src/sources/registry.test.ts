import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { reachUnit, SOURCE_TYPES, sourceLabel, sourceManifests, sourcePlugin, sourcePlugins } from './registry.js';

const here = dirname(fileURLToPath(import.meta.url));
const folders = readdirSync(here)
  .filter((name) => statSync(join(here, name)).isDirectory())
  .sort();

describe('source registry', () => {
  it('lists every source folder exactly once', () => {
    expect(folders.length).toBeGreaterThan(0);
    expect(sourceManifests.map((m) => m.type).sort()).toEqual(folders);
    expect([...SOURCE_TYPES]).toEqual(sourceManifests.map((m) => m.type));
  });

  it.each(folders)('%s: its folder has a manifest.ts and an index.ts', (folder) => {
    expect(existsSync(join(here, folder, 'manifest.ts'))).toBe(true);
    expect(existsSync(join(here, folder, 'index.ts'))).toBe(true);
  });

  it('has unique types with a schema, a description, a label, a reach unit, an example and a default interval', () => {
    const types = new Set<string>();
    for (const manifest of sourceManifests) {
      expect(types.has(manifest.type)).toBe(false);
      types.add(manifest.type);
      expect(manifest.description.length).toBeGreaterThan(5);
      expect(manifest.label.length).toBeGreaterThan(1);
      expect(manifest.reachUnit).toMatch(/^[a-z]+$/);
      expect(manifest.defaultEveryMs).toBeGreaterThan(0);
      expect(manifest.example).toContain(`  - type: ${manifest.type}\n`);
      expect(manifest.schema()).toBe(manifest.schema());
      for (const v of manifest.env?.vars ?? []) expect(v.name).toMatch(/^[A-Z][A-Z0-9_]*$/);
    }
  });

  it('derives labels and reach units from the manifests, with a fallback for types this version does not know', () => {
    expect(sourceLabel('reddit')).toBe('Reddit');
    expect(sourceLabel('rss')).toBe('a feed');
    expect(sourceLabel('gopher')).toBe('gopher');
    expect(reachUnit('hackernews')).toBe('points');
    expect(reachUnit('gopher')).toBe('reach');
  });
});

describe('source plugins', () => {
  // A plugin's fields come from its manifest; the registry's lazy plugin must say what the
  // loaded one says.
  const samples: Record<string, unknown>[] = [{}, { query: 'acme' }, { tag: 'acme' }, { search: 'acme', subreddits: ['acme'] }];

  for (const manifest of sourceManifests) {
    it(`${manifest.type}: the lazy plugin and the loaded one agree with the manifest`, async () => {
      const lazy = sourcePlugin(manifest.type)!;
      const plugin = await manifest.load();
      for (const p of [lazy, plugin]) {
        expect(p.type).toBe(manifest.type);
        expect(p.description).toBe(manifest.description);
        expect(p.defaultEveryMs).toBe(manifest.defaultEveryMs);
        expect(p.schema).toBe(manifest.schema());
        for (const config of samples) expect(p.requiredEnv(config as never), JSON.stringify(config)).toEqual(manifest.requiredEnv(config as never));
      }
    });
  }

  it('has one plugin per manifest', () => {
    expect(sourcePlugins.map((p) => p.type)).toEqual(sourceManifests.map((m) => m.type));
    expect(sourcePlugin('gopher')).toBeUndefined();
  });
});
