/**
 * Triage and alerts still waiting (group_wait): a sentiment correction re-asks the rule, "not
 * relevant" takes the mention out, and the alert that finally goes out says only what still
 * matches. Real SQLite, the real rule engine, the triage domain as the UI and Slack use it.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { watchTriageForAlerts } from '../src/pipeline/corrections.js';
import { evaluateNewMentions, releaseDueGroups } from '../src/rules/engine.js';
import { triageStoreOf, type Store } from '../src/store/index.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import { applyAction } from '../src/triage/actions.js';
import { makeDeployment } from './helpers/cli.js';
import { seedMention } from './helpers/digest-seed.js';

let store: Store | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

const maria = { kind: 'ui' as const, id: 'maria', name: 'maria' };

describe('triage and waiting alerts', () => {
  it('a correction or "not relevant" takes a mention out of the alert still waiting for it', async () => {
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: acme\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/f.xml\n`,
      'rules/alerts.yaml': 'rules:\n  - name: complaints\n    match: { brand: acme, sentiment: negative }\n    group_by: [brand]\n    group_wait: 10m\n    notify: [{ slack: "#c" }]\n',
    });
    const { config } = loadConfig(dir, { SLACK_BOT_TOKEN: 'xoxb-test' });
    const s = (store = openSqliteStore(join(dir, 'data/earshot.db')));
    const triage = await triageStoreOf(s);
    const stop = watchTriageForAlerts(triage, s, () => config, silentLogger());
    const now = new Date('2026-11-23T12:00:00.000Z');
    const deps = { store: s, config, log: silentLogger(), now: () => now };
    const ids: number[] = [];
    for (const [i, text] of ['praise misread', 'spam', 'real complaint', 'also real'].entries()) {
      ids.push(await seedMention(s, { id: `m${i}`, at: now.toISOString(), text: `acme ${text}`, sentiment: 'negative', alertState: 'new' }));
    }
    await evaluateNewMentions(deps);
    expect((await s.rules.pendingGroups()).flatMap((g) => g.mentionIds)).toEqual(ids);
    await applyAction(triage, { mentionId: ids[0]!, action: 'sentiment', value: 'positive', actor: maria });
    await applyAction(triage, { mentionId: ids[1]!, action: 'irrelevant', actor: maria });
    // Handling keeps it: the alert still tells the channel.
    await applyAction(triage, { mentionId: ids[3]!, action: 'handle', actor: maria });
    // The listener runs after each change; wait until the two mentions have left the group.
    await expect.poll(async () => (await s.rules.pendingGroups()).flatMap((g) => g.mentionIds)).toEqual([ids[2], ids[3]]);
    const created = await releaseDueGroups(deps, { flush: true });
    expect(created).toHaveLength(1);
    const alert = (await s.outbox.getAlert(created[0]!))!;
    expect(alert.mentionIds).toEqual([ids[2], ids[3]]);
    stop();
    expect(await releaseDueGroups(deps, { flush: true })).toEqual([]);
  });
});
