import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { notifierPlugin, notifierPlugins } from './registry.js';
import { NOTIFIER_TYPES } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const folders = readdirSync(here, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe('notifier registry', () => {
  it('lists every notifier folder under src/notifiers/, and nothing else', () => {
    expect(folders.length).toBeGreaterThan(0);
    expect(notifierPlugins.map((plugin) => plugin.type).sort()).toEqual(folders);
  });

  it('covers exactly the NOTIFIER_TYPES of the contract', () => {
    expect(notifierPlugins.map((plugin) => plugin.type).sort()).toEqual([...NOTIFIER_TYPES].sort());
  });

  it.each(folders)('%s: lookup by type, a description and the env it needs', (type) => {
    const plugin = notifierPlugin(type);
    expect(plugin?.type).toBe(type);
    expect(plugin?.description.length).toBeGreaterThan(10);
    expect(plugin?.requiredEnv.length).toBeGreaterThan(0);
    for (const name of plugin?.requiredEnv ?? []) expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });

  it('has no duplicate types and returns undefined for unknown ones', () => {
    expect(new Set(notifierPlugins.map((p) => p.type)).size).toBe(notifierPlugins.length);
    expect(notifierPlugin('pagerduty')).toBeUndefined();
  });

  it.each([
    ['slack', '#brand-alerts', 'pr-team@example.com'],
    ['email', 'pr-team@example.com', '#brand-alerts'],
  ])('%s validates its own targets', (type, good, bad) => {
    const plugin = notifierPlugin(type);
    expect(plugin?.validateTarget(good)).toBeNull();
    expect(plugin?.validateTarget(bad)).toEqual(expect.any(String));
  });

  it('creates notifiers without credentials (they fail at send time, never at startup)', async () => {
    for (const plugin of notifierPlugins) {
      const notifier = plugin.create({});
      expect(notifier.type).toBe(plugin.type);
      await notifier.close?.();
    }
  });
});
