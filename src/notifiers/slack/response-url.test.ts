import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackServer, type SlackServer } from '../../../test/helpers/slack-server.js';
import { allowedResponseUrl, replyEphemeral } from './response-url.js';

let slack: SlackServer;
beforeAll(async () => {
  slack = await startSlackServer();
});
afterAll(async () => {
  await slack.close();
});

describe('response_url replies', () => {
  it.each([
    ['https://hooks.slack.com/actions/T1/2/abc', undefined, true],
    ['http://hooks.slack.com/actions/T1/2/abc', undefined, false],
    ['https://hooks.slack.com.evil.example/actions/T1/2/abc', undefined, false],
    ['https://user:pw@hooks.slack.com/actions/T1/2/abc', undefined, false],
    ['http://127.0.0.1:9999/actions/T1/2/abc', 'http://127.0.0.1:9999/api/', true],
    ['http://127.0.0.1:9998/actions/T1/2/abc', 'http://127.0.0.1:9999/api/', false],
    ['http://169.254.169.254/latest/meta-data', undefined, false],
    ['not a url', undefined, false],
  ])('%s (SLACK_API_URL %s) is allowed: %s', (url, apiUrl, allowed) => {
    expect(allowedResponseUrl(url, apiUrl) !== null).toBe(allowed);
  });

  it('posts an ephemeral reply, escaped, that replaces nothing', async () => {
    const problem = await replyEphemeral(slack.responseUrl, 'nothing changed for <!channel>', { apiUrl: slack.url });
    expect(problem).toBeNull();
    expect(slack.responses.at(-1)).toMatchObject({
      path: '/actions/T0EARSHOT/1/test',
      body: { response_type: 'ephemeral', replace_original: false, text: 'nothing changed for &lt;!channel&gt;' },
    });
  });

  it('posts nothing to an address that is not Slack’s, and says why', async () => {
    const before = slack.responses.length;
    expect(await replyEphemeral(slack.responseUrl, 'x')).toBe(`response_url "${slack.responseUrl}" is not Slack's (https://hooks.slack.com)`);
    expect(slack.responses).toHaveLength(before);
  });
});
