/**
 * Notify targets from the environment (`${NAME}`) and the warning about webhook URLs with a key
 * written literally in a YAML file: located problems, and never the secret value in a message.
 */
import { describe, expect, it } from 'vitest';
import { makeDeployment } from '../../test/helpers/cli.js';
import { loadConfig } from './load.js';
import { formatProblem } from './problems.js';

const BRAND = `brand: acme\nname: Acme Cloud\nquery: acme\nsources:\n  - type: rss\n    url: https://example.com/feed.xml\n`;
const DISCORD_URL = 'https://discord.com/api/webhooks/123456789012345678/sEcReT-tOkEn_abc123';

function load(notify: string, env: Record<string, string> = {}) {
  const dir = makeDeployment({ 'sources/acme.yaml': BRAND, 'rules/alerts.yaml': `rules:\n  - name: r\n    notify:\n${notify}` });
  const { config, problems } = loadConfig(dir, { EARSHOT_WEBHOOK_SECRET: 'k', ...env });
  return { config, problems: problems.map(formatProblem) };
}

describe('notify targets', () => {
  it('accepts every registered notifier, a target per entry, and keeps ${NAME} as written', () => {
    const { config, problems } = load(
      '      - webhook: ${OPS_WEBHOOK_URL}\n      - discord: ${DISCORD_WEBHOOK_URL}\n      - teams: ${TEAMS_WEBHOOK_URL}\n      - email: [a@example.com, b@example.com]\n',
      { OPS_WEBHOOK_URL: 'https://hooks.example.com/x', DISCORD_WEBHOOK_URL: DISCORD_URL, TEAMS_WEBHOOK_URL: 'https://prod.logic.azure.com/workflows/1?sig=abc', SMTP_URL: 'smtp://h', EMAIL_FROM: 'a@b.c' },
    );
    expect(problems).toEqual([]);
    expect(config.rules[0]!.notify).toEqual([
      { type: 'webhook', target: '${OPS_WEBHOOK_URL}' },
      { type: 'discord', target: '${DISCORD_WEBHOOK_URL}' },
      { type: 'teams', target: '${TEAMS_WEBHOOK_URL}' },
      { type: 'email', target: 'a@example.com' },
      { type: 'email', target: 'b@example.com' },
    ]);
  });

  it('an unset ${NAME} is a located warning: the rule loads, alerts to that target are skipped until it is set', () => {
    const { config, problems } = load('      - discord: ${DISCORD_WEBHOOK_URL}\n');
    expect(problems).toEqual([
      'rules/alerts.yaml:4:18: warning: rules[0].notify[0].discord: ${DISCORD_WEBHOOK_URL}: DISCORD_WEBHOOK_URL is not set: set it in .env or the environment; alerts to it are skipped until then',
    ]);
    expect(config.rules).toHaveLength(1);
  });

  it('a value from the environment that does not suit the notifier is an error that never shows the value', () => {
    const { config, problems } = load('      - discord: ${DISCORD_WEBHOOK_URL}\n', { DISCORD_WEBHOOK_URL: 'https://example.com/sEcReT-value' });
    expect(problems).toEqual([
      expect.stringMatching(/^rules\/alerts\.yaml:4:18: rules\[0\]\.notify\[0\]\.discord: \$\{DISCORD_WEBHOOK_URL\} \(from the environment\): this is not a Discord webhook URL/),
    ]);
    expect(problems.join('\n')).not.toContain('sEcReT');
    expect(config.rules).toHaveLength(0);
  });

  it('warns about a webhook URL with its key written literally, and says how to move it to .env', () => {
    const { config, problems } = load(`      - discord: ${DISCORD_URL}\n      - webhook: https://hooks.example.com/earshot?token=abc123\n      - webhook: https://hooks.example.com/earshot\n`);
    expect(problems).toEqual([
      'rules/alerts.yaml:4:18: warning: rules[0].notify[0].discord: this Discord URL holds its key, and anyone who can read this file can post with it: put it in .env as DISCORD_WEBHOOK_URL=... and write `discord: ${DISCORD_WEBHOOK_URL}` here',
      'rules/alerts.yaml:5:18: warning: rules[0].notify[1].webhook: this webhooks URL holds its key, and anyone who can read this file can post with it: put it in .env as OPS_WEBHOOK_URL=... and write `webhook: ${OPS_WEBHOOK_URL}` here',
    ]);
    expect(config.rules[0]!.notify).toHaveLength(3);
  });

  it.each([
    ['      - webhook: not-a-url\n', 'rules/alerts.yaml:4:18: rules[0].notify[0].webhook: this is not a URL: a webhook target is a URL like https://hooks.example.com/earshot'],
    ['      - teams: ftp://x.example/y\n', 'rules/alerts.yaml:4:16: rules[0].notify[0].teams: a Teams target must be an http(s) URL like the workflow URL Power Automate shows for "When a Teams webhook request is received" (got ftp://)'],
    ['      - { slack: "#a", discord: "x" }\n', expect.stringContaining('each notify entry names one destination: { slack: "#channel" }, { email: address }, { webhook: URL }, { discord: URL } or { teams: URL }')],
  ])('%j -> %s', (notify, expected) => {
    expect(load(notify, { SLACK_BOT_TOKEN: 'x' }).problems).toEqual([expected]);
  });

  it('names the notifiers there are when an entry names an unknown one', () => {
    expect(load('      - pagerduty: abc\n').problems).toEqual([
      'rules/alerts.yaml:4:9: rules[0].notify[0].pagerduty: unknown key "pagerduty"',
      'rules/alerts.yaml:4:9: rules[0].notify[0]: each notify entry names one destination: { slack: "#channel" }, { email: address }, { webhook: URL }, { discord: URL } or { teams: URL }',
    ]);
  });

  it('reports a missing EARSHOT_WEBHOOK_SECRET like other credentials', () => {
    const dir = makeDeployment({ 'sources/acme.yaml': BRAND, 'rules/alerts.yaml': 'rules:\n  - name: r\n    notify: [{ webhook: "https://hooks.example.com/x" }]\n' });
    expect(loadConfig(dir, {}).problems.map(formatProblem)).toEqual([
      'rules/alerts.yaml:2:5: warning: rules.r.notify: webhook is not configured: set EARSHOT_WEBHOOK_SECRET in .env or the environment; webhook alerts are skipped until then',
    ]);
  });

  it('budgets take any registered notifier and ${NAME}', () => {
    const dir = makeDeployment({
      'sources/acme.yaml': BRAND,
      'rules/alerts.yaml': 'rules:\n  - name: r\n    notify: [{ discord: "${D}" }]\nbudgets:\n  - { discord: "${D}", max: 5, per: 1h }\n',
    });
    const { config, problems } = loadConfig(dir, { D: DISCORD_URL });
    expect(problems).toEqual([]);
    expect(config.budgets).toMatchObject([{ destination: { type: 'discord', target: '${D}' }, max: 5 }]);
  });
});
