import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpServer, type TestSmtpServer } from '../../../test/helpers/smtp-server.js';
import { sampleAlert, sampleMention } from '../sample-alert.js';
import { createEmailNotifier, createMailTransport, emailNotifier, parseSmtpUrl, validateEmailTarget } from './index.js';
import { renderAlertEmail } from './render.js';

let smtp: TestSmtpServer;
const FROM = 'earshot <alerts@example.com>';

beforeAll(async () => {
  smtp = await startSmtpServer({ pass: 'p@ss:w/rd-secret' });
});

afterAll(async () => {
  await smtp.close();
});

function env(overrides: Record<string, string> = {}): Record<string, string> {
  return { SMTP_URL: smtp.url, EMAIL_FROM: FROM, ...overrides };
}

/** A TCP port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('email notifier against a real SMTP server', () => {
  it('delivers a multipart alert with the exact subject, authenticated', async () => {
    const before = smtp.messages.length;
    const alert = sampleAlert();
    const notifier = emailNotifier.create(env());
    const outcome = await notifier.send('pr-team@example.com', alert);
    await notifier.close?.();

    const messages = await smtp.waitForMessages(before + 1, 2000);
    const mail = messages.at(-1)!;
    const rendered = renderAlertEmail(alert);
    expect(outcome.status).toBe('sent');
    if (outcome.status === 'sent') expect(outcome.ref).toBe(mail.headers.get('message-id'));
    expect(mail.subject).toBe('[earshot] Negative mention of Acme Cloud on reddit (negative-mention)');
    expect(mail.from).toBe('"earshot" <alerts@example.com>');
    expect(mail.to).toEqual(['pr-team@example.com']);
    expect(mail.envelope).toEqual({ from: 'alerts@example.com', to: ['pr-team@example.com'] });
    expect(mail.user).toBe('earshot');
    expect(mail.text).toBe(rendered.text);
    expect(mail.html.trim()).toBe(rendered.html.trim());
    expect(mail.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(mail.headers.get('x-earshot-rule')).toBe('negative-mention');
    expect(mail.headers.get('x-earshot-alert-id')).toBe('7');
  });

  it('delivers hostile mention content escaped in HTML and literal in text', async () => {
    const before = smtp.messages.length;
    const hostile = '<script>alert(1)</script> <img src=x onerror=alert(2)> "><a href=javascript:alert(3)>x</a>';
    const notifier = createEmailNotifier(env());
    await notifier.send('pr-team@example.com', sampleAlert({ mentions: [sampleMention({ title: hostile, text: hostile })] }));
    const mail = (await smtp.waitForMessages(before + 1, 2000)).at(-1)!;
    expect(mail.html).not.toContain('<script');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).not.toContain('<a href=javascript');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.text).toContain(hostile);
  });

  it.each([
    ['the summary', { summary: 'Hi\r\nBcc: x@evil.example' }],
    ['the rule name', { rule: 'neg\r\nBcc: x@evil.example' }],
    ['a mention title', { mentions: [sampleMention({ title: 'Hi\r\nBcc: x@evil.example\r\n\r\n<b>body</b>' })] }],
  ])('does not let a CR/LF in %s add a header', async (_name, overrides) => {
    const before = smtp.messages.length;
    const outcome = await createEmailNotifier(env()).send('pr-team@example.com', sampleAlert(overrides));
    expect(outcome.status).toBe('sent');
    const mail = (await smtp.waitForMessages(before + 1, 2000)).at(-1)!;
    expect(mail.headers.has('bcc')).toBe(false);
    expect(mail.headerLines.map((h) => h.key)).not.toContain('bcc');
    expect(mail.envelope.to).toEqual(['pr-team@example.com']);
    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it('maps a 451 to retry with the server reply', async () => {
    const before = smtp.messages.length;
    smtp.rejectNext(1, 451, { message: 'Temporary local problem, try later' });
    const outcome = await createEmailNotifier(env()).send('pr-team@example.com', sampleAlert());
    expect(outcome).toEqual({ status: 'retry', error: 'SMTP: temporary failure after DATA: 451 Temporary local problem, try later' });
    expect(smtp.messages).toHaveLength(before);
  });

  it('maps a 550 to failed with the server reply', async () => {
    smtp.rejectNext(1, 550, { message: 'Message rejected as spam' });
    const outcome = await createEmailNotifier(env()).send('pr-team@example.com', sampleAlert());
    expect(outcome).toEqual({ status: 'failed', error: 'SMTP: rejected after DATA: 550 Message rejected as spam' });
  });

  it('maps a rejected recipient: 4xx retry, 5xx failed', async () => {
    smtp.rejectNext(1, 450, { stage: 'rcpt', message: 'Mailbox busy' });
    const temporary = await createEmailNotifier(env()).send('pr-team@example.com', sampleAlert());
    expect(temporary.status).toBe('retry');
    smtp.rejectNext(1, 550, { stage: 'rcpt', message: 'No such user' });
    const permanent = await createEmailNotifier(env()).send('nobody@example.com', sampleAlert());
    expect(permanent.status).toBe('failed');
    if (permanent.status === 'failed') expect(permanent.error).toContain('550 No such user');
  });

  it('maps a wrong password to failed without revealing the password', async () => {
    const secret = 'Wr0ng-Secret-Value';
    const url = `smtp://earshot:${secret}@127.0.0.1:${smtp.port}`;
    const outcome = await createEmailNotifier(env({ SMTP_URL: url })).send('pr-team@example.com', sampleAlert());
    expect(outcome.status).toBe('failed');
    if (outcome.status === 'failed') {
      expect(outcome.error).toContain('535');
      expect(outcome.error).toContain('check the user and password in SMTP_URL');
      expect(outcome.error).not.toContain(secret);
    }
  });

  it('maps connection refused to retry', async () => {
    const port = await closedPort();
    const outcome = await createEmailNotifier(env({ SMTP_URL: `smtp://u:secret-pass@127.0.0.1:${port}` })).send(
      'pr-team@example.com',
      sampleAlert(),
    );
    expect(outcome.status).toBe('retry');
    if (outcome.status === 'retry') {
      expect(outcome.error).toMatch(/ECONNREFUSED/);
      expect(outcome.error).not.toContain('secret-pass');
    }
  });

  it('maps a server that never greets to retry after the greeting timeout', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const address = silent.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    try {
      const notifier = createEmailNotifier(env({ SMTP_URL: `smtp://127.0.0.1:${address.port}` }), {
        greetingTimeoutMs: 200,
        connectionTimeoutMs: 200,
      });
      const outcome = await notifier.send('pr-team@example.com', sampleAlert());
      expect(outcome.status).toBe('retry');
      if (outcome.status === 'retry') expect(outcome.error).toMatch(/greeting|timeout/i);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('fails clearly without SMTP_URL, EMAIL_FROM or a valid target', async () => {
    expect(await createEmailNotifier({ EMAIL_FROM: FROM }).send('a@example.com', sampleAlert())).toEqual({
      status: 'failed',
      error: 'Email: SMTP_URL is not set: set SMTP_URL in .env, e.g. smtp://user:pass@smtp.example.com:587',
    });
    expect(await createEmailNotifier({ SMTP_URL: smtp.url }).send('a@example.com', sampleAlert())).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('EMAIL_FROM is not set'),
    });
    expect(await createEmailNotifier(env()).send('not-an-address', sampleAlert())).toMatchObject({ status: 'failed' });
  });
});

describe('createMailTransport', () => {
  it('sends custom headers and attachments (for the digest)', async () => {
    const before = smtp.messages.length;
    const transport = createMailTransport(env());
    const outcome = await transport.send({
      to: ['team@example.com', 'boss@example.com'],
      subject: 'Daily digest',
      text: 'plain',
      html: '<p>html</p>',
      headers: { 'X-Earshot-Digest': 'daily 2026-11-23' },
      attachments: [{ filename: 'mentions.csv', content: 'id,text\n1,hello\n', contentType: 'text/csv' }],
    });
    await transport.close();
    expect(outcome.status).toBe('sent');
    const mail = (await smtp.waitForMessages(before + 1, 2000)).at(-1)!;
    expect(mail.envelope.to).toEqual(['team@example.com', 'boss@example.com']);
    expect(mail.subject).toBe('Daily digest');
    expect(mail.text.trim()).toBe('plain');
    expect(mail.html).toBe('<p>html</p>');
    expect(mail.headers.get('x-earshot-digest')).toBe('daily 2026-11-23');
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]?.filename).toBe('mentions.csv');
    expect(mail.attachments[0]?.content.toString('utf8')).toBe('id,text\n1,hello\n');
  });
});

describe('createMailTransport header safety', () => {
  it('strips CR/LF from a caller-supplied subject and header values, and drops invalid header names', async () => {
    const before = smtp.messages.length;
    const transport = createMailTransport(env());
    const outcome = await transport.send({
      to: ['team@example.com'],
      subject: 'Digest\r\nBcc: x@evil.example',
      text: 't',
      html: '<p>h</p>',
      headers: { 'X-Note': 'a\r\nBcc: y@evil.example', 'Bad Name:\r\nBcc': 'z@evil.example' },
    });
    await transport.close();
    expect(outcome.status).toBe('sent');
    const mail = (await smtp.waitForMessages(before + 1, 2000)).at(-1)!;
    expect(mail.subject).toBe('Digest Bcc: x@evil.example');
    expect(mail.headers.get('x-note')).toBe('a Bcc: y@evil.example');
    expect(mail.headerLines.map((h) => h.key)).not.toContain('bcc');
    expect(mail.envelope.to).toEqual(['team@example.com']);
  });
});

describe('parseSmtpUrl', () => {
  it('decodes credentials and picks ports by scheme', () => {
    expect(parseSmtpUrl('smtp://us%40er:p%3Ass@mail.example.com')).toMatchObject({
      host: 'mail.example.com',
      port: 587,
      secure: false,
      auth: { user: 'us@er', pass: 'p:ss' },
    });
    expect(parseSmtpUrl('smtps://mail.example.com')).toMatchObject({ port: 465, secure: true });
    expect(parseSmtpUrl('smtp://mail.example.com:2525?requireTLS=true')).toMatchObject({ port: 2525, extra: { requireTLS: true } });
  });

  it.each([
    [undefined, 'SMTP_URL is not set'],
    ['mail.example.com', 'SMTP_URL is not a valid URL'],
    ['https://user:topsecret@mail.example.com', 'SMTP_URL must start with smtp:// or smtps://'],
  ])('reports %j without echoing secrets', (value, problem) => {
    const result = parseSmtpUrl(value);
    expect(typeof result).toBe('string');
    expect(result).toContain(problem);
    expect(result).not.toContain('topsecret');
  });
});

describe('validateEmailTarget', () => {
  it.each(['pr-team@example.com', 'a.b+alerts@sub.example.co.uk', 'x@example.museum'])('accepts %s', (target) => {
    expect(validateEmailTarget(target)).toBeNull();
  });

  it.each([
    'pr-team',
    '@example.com',
    'a@b',
    'a@@example.com',
    'a b@example.com',
    'a@example.com\r\nBcc: x@evil.example',
    'Name <a@example.com>',
    'a@example..com',
    `${'a'.repeat(250)}@example.com`,
  ])('rejects %j', (target) => {
    expect(validateEmailTarget(target)).toMatch(/is not an email address/);
  });
});
