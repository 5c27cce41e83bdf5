import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sourcePlugins } from './registry.js';

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
