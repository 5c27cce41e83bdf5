import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sourceLoaders, sourcePlugins } from './registry.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('source registry', () => {
  it('lists every source folder exactly once', () => {
    const folders = readdirSync(here)
      .filter((name) => statSync(join(here, name)).isDirectory())
      .sort();
    const registered = sourcePlugins.map((p) => p.type).sort();
    expect(registered).toEqual(folders);
  });

  it('has unique types with a schema, a description and a default interval', () => {
    const types = new Set<string>();
    for (const plugin of sourcePlugins) {
      expect(types.has(plugin.type)).toBe(false);
      types.add(plugin.type);
      expect(plugin.description.length).toBeGreaterThan(5);
      expect(plugin.defaultEveryMs).toBeGreaterThan(0);
    }
  });
});

describe('source registry entries', () => {
  // The registry repeats what config loading needs, so the polling code can load on first poll;
  // each entry must say exactly what its plugin says.
  const samples: Record<string, unknown>[] = [{}, { query: 'acme' }, { tag: 'acme' }, { search: 'acme', subreddits: ['acme'] }];

  for (const entry of sourcePlugins) {
    it(`${entry.type}: matches the plugin it loads`, async () => {
      const plugin = await sourceLoaders[entry.type]!();
      expect(plugin.type).toBe(entry.type);
      expect(entry.description).toBe(plugin.description);
      expect(entry.defaultEveryMs).toBe(plugin.defaultEveryMs);
      expect(entry.schema).toBe(plugin.schema);
      for (const config of samples) expect(entry.requiredEnv(config), JSON.stringify(config)).toEqual(plugin.requiredEnv(config));
    });
  }

  it('has a loader for every entry and no other', () => {
    expect(Object.keys(sourceLoaders).sort()).toEqual(sourcePlugins.map((p) => p.type).sort());
  });
});
