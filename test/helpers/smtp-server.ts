/**
 * A real SMTP server on 127.0.0.1 for tests (the `smtp-server` package, no TLS), reading every
 * message back with `mailparser`.
 *
 *   const smtp = await startSmtpServer();
 *   env.SMTP_URL = smtp.url;               // 'smtp://earshot:…@127.0.0.1:PORT'
 *   env.EMAIL_FROM = 'earshot <alerts@example.com>';
 *   ... send ...
 *   const [mail] = await smtp.waitForMessages(1, 2000);
 *   mail.subject; mail.text; mail.html; mail.headers.get('x-earshot-rule'); mail.envelope.to
 *   await smtp.close();
 *
 * Auth: AUTH PLAIN/LOGIN is offered over plain TCP; the configured user/pass (options, defaults
 * below) are accepted and anything else answers 535. Auth is optional unless `requireAuth`.
 *
 * Faults: `rejectNext(n, code, { stage, message })` answers the next n messages with an SMTP
 * error reply at the end of DATA (default) or at RCPT TO: e.g. 451 (temporary) or 550
 * (permanent). A rejected message is not recorded in `messages`; every attempt is recorded in
 * `attempts`.
 */
import { waitForCount } from './wait.js';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { simpleParser, type AddressObject, type Attachment, type ParsedMail } from 'mailparser';

export interface SmtpServerOptions {
  user?: string;
  pass?: string;
  /** Reject mail from clients that did not authenticate (530). Default false. */
  requireAuth?: boolean;
}

export interface ReceivedMail {
  /** The From header as text, e.g. 'earshot <alerts@example.com>'. */
  from: string;
  /** Addresses in the To header. */
  to: string[];
  subject: string;
  text: string;
  /** The HTML part, or '' when there is none. */
  html: string;
  /** Parsed headers, keys lowercase (mailparser's map). */
  headers: ParsedMail['headers'];
  /** Raw header lines as sent, for checks against header injection. */
  headerLines: { key: string; line: string }[];
  attachments: Attachment[];
  /** SMTP envelope: MAIL FROM and RCPT TO addresses. */
  envelope: { from: string; to: string[] };
  /** The user the client authenticated as, if any. */
  user: string | undefined;
  /** The whole message source. */
  raw: string;
  receivedAt: Date;
}

export interface SmtpAttempt {
  envelopeTo: string[];
  /** SMTP code answered: 250 accepted, or the injected error code. */
  code: number;
  receivedAt: Date;
}

export type SmtpRejectStage = 'rcpt' | 'data';

export interface TestSmtpServer {
  /** SMTP_URL with credentials, e.g. 'smtp://earshot:secret@127.0.0.1:2525'. */
  url: string;
  /** The same server without credentials. */
  urlWithoutAuth: string;
  port: number;
  user: string;
  pass: string;
  messages: ReceivedMail[];
  attempts: SmtpAttempt[];
  rejectNext(n: number, code: number, options?: { stage?: SmtpRejectStage; message?: string }): void;
  /** Holds the next message at RCPT TO until `release()`; `reached` resolves when it arrives there. */
  holdNext(): { reached: Promise<void>; release(): void };
  waitForMessages(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

interface PendingReject {
  code: number;
  stage: SmtpRejectStage;
  message: string;
}

function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  if (!value) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.flatMap((entry) => entry.value.map((address) => address.address ?? '')).filter(Boolean);
}

function readStream(stream: SMTPServerDataStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const user = options.user ?? 'earshot';
  const pass = options.pass ?? 'smtp-test-pass';
  const messages: ReceivedMail[] = [];
  const attempts: SmtpAttempt[] = [];
  const pending: PendingReject[] = [];
  const waiters = new Set<() => void>();
  let hold: { arrived: () => void; released: Promise<void> } | null = null;

  function takeReject(stage: SmtpRejectStage): PendingReject | undefined {
    const index = pending.findIndex((entry) => entry.stage === stage);
    return index >= 0 ? pending.splice(index, 1)[0] : undefined;
  }

  function envelopeOf(session: SMTPServerSession): { from: string; to: string[] } {
    const mailFrom = session.envelope.mailFrom;
    return {
      from: mailFrom ? mailFrom.address : '',
      to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
    };
  }

  async function receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<void> {
    const raw = await readStream(stream);
    const envelope = envelopeOf(session);
    const reject = takeReject('data');
    if (reject) {
      attempts.push({ envelopeTo: envelope.to, code: reject.code, receivedAt: new Date() });
      throw smtpError(reject.code, reject.message);
    }
    const parsed = await simpleParser(raw);
    attempts.push({ envelopeTo: envelope.to, code: 250, receivedAt: new Date() });
    messages.push({
      from: parsed.from?.text ?? '',
      to: addresses(parsed.to),
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : '',
      headers: parsed.headers,
      headerLines: parsed.headerLines.map((entry) => ({ key: entry.key, line: entry.line })),
      attachments: parsed.attachments,
      envelope,
      user: typeof session.user === 'string' ? session.user : undefined,
      raw: raw.toString('utf8'),
      receivedAt: new Date(),
    });
    for (const wake of waiters) wake();
  }

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: !options.requireAuth,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    // No reverse DNS lookup of 127.0.0.1 per connection: it only slows tests down.
    disableReverseLookup: true,
    // Test clients connect and leave quickly; no need for the production-sized grace periods.
    closeTimeout: 100,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === pass) {
        callback(null, { user: auth.username });
        return;
      }
      callback(smtpError(535, 'Authentication credentials invalid'));
    },
    onRcptTo(address, session, callback) {
      const reject = takeReject('rcpt');
      if (reject) {
        attempts.push({ envelopeTo: [address.address], code: reject.code, receivedAt: new Date() });
        callback(smtpError(reject.code, reject.message));
        return;
      }
      void session;
      const held = hold;
      if (!held) {
        callback();
        return;
      }
      hold = null;
      held.arrived();
      void held.released.then(() => callback());
    },
    onData(stream, session, callback) {
      receive(stream, session).then(
        () => callback(),
        (err: Error) => callback(err),
      );
    },
  });
  server.on('error', () => {
    // Client-side resets in fault tests surface here; they are part of the test, not a failure.
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (!address || typeof address === 'string') throw new Error('smtp-server: no TCP address');
  const port = address.port;

  return {
    url: `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`,
    urlWithoutAuth: `smtp://127.0.0.1:${port}`,
    port,
    user,
    pass,
    messages,
    attempts,
    rejectNext(n, code, rejectOptions = {}) {
      const stage = rejectOptions.stage ?? 'data';
      const message =
        rejectOptions.message ?? (code < 500 ? 'Requested action aborted: try again later' : 'Message rejected by policy');
      for (let i = 0; i < n; i += 1) pending.push({ code, stage, message });
    },
    holdNext() {
      let arrived!: () => void;
      let release!: () => void;
      const reached = new Promise<void>((resolve) => (arrived = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      hold = { arrived, released };
      return { reached, release };
    },
    waitForMessages(n, timeoutMs = 5_000) {
      return waitForCount(messages, n, waiters, timeoutMs, 'smtp-server');
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
