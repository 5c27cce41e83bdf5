import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NOTIFIER_TYPES, notifierManifests, notifierPlugin, notifierPlugins } from './registry.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const folders = readdirSync(here, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe('notifier registry', () => {
  it('lists every notifier folder under src/notifiers/, and nothing else', () => {
    expect(folders.length).toBeGreaterThan(0);
    expect(notifierManifests.map((m) => m.type).sort()).toEqual(folders);
    expect([...NOTIFIER_TYPES]).toEqual(notifierManifests.map((m) => m.type));
  });

  it.each(folders)('%s: a manifest.ts, an index.ts and a README.md', (folder) => {
    for (const file of ['manifest.ts', 'index.ts', 'README.md']) expect(existsSync(path.join(here, folder, file)), file).toBe(true);
  });

  it.each(folders)('%s: lookup by type, a description, a label, an example and the env it documents', (type) => {
    const plugin = notifierPlugin(type);
    expect(plugin?.type).toBe(type);
    expect(plugin?.description.length).toBeGreaterThan(10);
    expect(plugin?.label.length).toBeGreaterThan(2);
    expect(plugin?.example.startsWith(`${type}: `)).toBe(true);
    const documented = (plugin?.env?.vars ?? []).map((v) => v.name);
    for (const name of plugin?.requiredEnv ?? []) {
      expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(documented, `${type} documents ${name}`).toContain(name);
    }
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

  it('loads the sending code on the first send, which then fails cleanly without credentials', async () => {
    const { sampleAlert } = await import('./sample-alert.js');
    const notifier = notifierPlugin('slack')!.create({});
    expect(await notifier.send('#brand-alerts', sampleAlert())).toEqual({ status: 'failed', error: expect.stringContaining('SLACK_BOT_TOKEN is not set') });
    await notifier.close?.();
  });
});
