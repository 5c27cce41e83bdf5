/**
 * Email notifier over SMTP (nodemailer), plus `createMailTransport`, the reusable sender the
 * digest also uses.
 *
 * SMTP_URL: `smtp://user:pass@host:587` (STARTTLS when the server offers it) or
 * `smtps://user:pass@host:465` (TLS from the start); user and password URL-encoded. Query
 * parameters are passed to nodemailer as options (e.g. `?requireTLS=true`).
 * EMAIL_FROM: the sender, e.g. `earshot <alerts@example.com>`.
 *
 * Outcomes: accepted -> sent (ref = Message-ID); SMTP 4xx replies, refused/reset connections and
 * timeouts -> retry; SMTP 5xx replies -> failed with the server's reply. nodemailer (~60-100 ms to
 * import) is loaded on the first send, never at startup.
 */
import type { Attachment } from 'nodemailer';
import { registerSecret } from '../../core/log.js';
import type { AlertContent, DeliveryOutcome, Notifier, NotifierPlugin, VerifyResult } from '../types.js';
import { emailManifest, validateEmailTarget } from './manifest.js';

/** Rendering loads on the first send: config validation (`earshot check`) never renders. */
function loadRender(): Promise<typeof import('./render.js')> {
  return import('./render.js');
}

export const SMTP_CONNECTION_TIMEOUT_MS = 10_000;
export const SMTP_GREETING_TIMEOUT_MS = 10_000;
export const SMTP_SOCKET_TIMEOUT_MS = 30_000;

export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
  attachments?: Attachment[];
}

export interface MailTransport {
  send(msg: MailMessage): Promise<DeliveryOutcome>;
  /** Connects, says EHLO (and STARTTLS), logs in when SMTP_URL has a user: `earshot check --online`. */
  verify(): Promise<VerifyResult>;
  close(): Promise<void>;
}

export interface MailTransportOptions {
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
}

export { validateEmailTarget } from './manifest.js';

const ENV_HINT = 'set SMTP_URL in .env, e.g. smtp://user:pass@smtp.example.com:587';

interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  auth?: { user: string; pass: string };
  extra: Record<string, string | boolean>;
  secrets: string[];
}

/** Parses SMTP_URL; returns a problem (never containing the password) or the settings. */
export function parseSmtpUrl(value: string | undefined): SmtpSettings | string {
  if (!value?.trim()) return `SMTP_URL is not set: ${ENV_HINT}`;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return `SMTP_URL is not a valid URL: ${ENV_HINT}`;
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    return `SMTP_URL must start with smtp:// or smtps:// (got ${url.protocol}//): ${ENV_HINT}`;
  }
  if (!url.hostname) return `SMTP_URL has no host: ${ENV_HINT}`;
  const secure = url.protocol === 'smtps:';
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  const extra: Record<string, string | boolean> = {};
  for (const [key, raw] of url.searchParams) {
    extra[key] = raw === 'true' ? true : raw === 'false' ? false : raw;
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(user ? { auth: { user, pass } } : {}),
    extra,
    secrets: [pass, url.password, value.trim()].filter((s) => s.length >= 4),
  };
}

interface SmtpError {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
  command?: unknown;
}

const TRANSIENT_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EDNS',
  'ENOTFOUND',
]);

function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}

/** Maps a nodemailer error to a DeliveryOutcome; `secrets` never appear in the message. */
export function classifySmtpError(err: unknown, secrets: string[] = []): DeliveryOutcome {
  const e = (err ?? {}) as SmtpError;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : null;
  const response = typeof e.response === 'string' ? e.response.trim() : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = typeof e.code === 'string' ? e.code : '';
  const command = typeof e.command === 'string' && e.command !== 'API' && e.command !== 'CONN' ? ` after ${e.command}` : '';
  const clean = (text: string): string => scrub(text, secrets);

  if (responseCode !== null && responseCode >= 400 && responseCode < 500) {
    return { status: 'retry', error: clean(`SMTP: temporary failure${command}: ${response || message}`) };
  }
  if (responseCode !== null && responseCode >= 500) {
    const hint = code === 'EAUTH' ? ': check the user and password in SMTP_URL' : '';
    return { status: 'failed', error: clean(`SMTP: rejected${command}: ${response || message}${hint}`) };
  }
  if (TRANSIENT_CODES.has(code) || /timeout|timed out|ECONNREFUSED|ECONNRESET/i.test(message)) {
    return { status: 'retry', error: clean(`SMTP: ${message}`) };
  }
  if (code === 'EAUTH') {
    return { status: 'failed', error: clean(`SMTP: authentication failed: ${message}: check the user and password in SMTP_URL`) };
  }
  if (code === 'EENVELOPE' || code === 'EMESSAGE') {
    return { status: 'failed', error: clean(`SMTP: ${message}`) };
  }
  // TLS handshake problems, protocol errors and the like: not fixed by waiting, but the outbox
  // backing off costs little and a flaky server often recovers.
  return { status: 'retry', error: clean(`SMTP: ${message}`) };
}

type NodemailerTransporter = Awaited<ReturnType<typeof makeTransporter>>;

async function makeTransporter(settings: SmtpSettings, options: MailTransportOptions) {
  const nodemailer = await import('nodemailer');
  return nodemailer.createTransport({
    ...settings.extra,
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    ...(settings.auth ? { auth: settings.auth } : {}),
    connectionTimeout: options.connectionTimeoutMs ?? SMTP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: options.greetingTimeoutMs ?? SMTP_GREETING_TIMEOUT_MS,
    socketTimeout: options.socketTimeoutMs ?? SMTP_SOCKET_TIMEOUT_MS,
  });
}

function sanitizeHeaders(headers: Record<string, string>, sanitizeHeaderText: (text: string, max?: number) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    // A header name is printable ASCII without ':' (RFC 5322); anything else is dropped.
    if (!/^[!-9;-~]+$/.test(name)) continue;
    out[name] = sanitizeHeaderText(value, 998);
  }
  return out;
}

/**
 * A sender for SMTP_URL / EMAIL_FROM. Never throws for a delivery problem: every result is a
 * DeliveryOutcome. A missing or invalid SMTP_URL / EMAIL_FROM gives a `failed` outcome.
 */
export function createMailTransport(env: Record<string, string | undefined>, options: MailTransportOptions = {}): MailTransport {
  const settings = parseSmtpUrl(env.SMTP_URL);
  const from = env.EMAIL_FROM?.trim() ?? '';
  const secrets = typeof settings === 'string' ? [] : settings.secrets;
  for (const secret of secrets) registerSecret(secret);
  let transporter: NodemailerTransporter | undefined;

  return {
    async send(msg: MailMessage): Promise<DeliveryOutcome> {
      if (typeof settings === 'string') return { status: 'failed', error: `Email: ${settings}` };
      if (!from) return { status: 'failed', error: 'Email: EMAIL_FROM is not set: set it in .env, e.g. EMAIL_FROM=earshot <alerts@example.com>' };
      if (msg.to.length === 0) return { status: 'failed', error: 'Email: no recipients' };
      const { sanitizeHeaderText } = await loadRender();
      try {
        transporter ??= await makeTransporter(settings, options);
        const info = await transporter.sendMail({
          from,
          to: msg.to,
          // Callers pass rendered text; stripping CR/LF here keeps any caller from injecting headers.
          subject: sanitizeHeaderText(msg.subject, 998),
          text: msg.text,
          html: msg.html,
          ...(msg.headers ? { headers: sanitizeHeaders(msg.headers, sanitizeHeaderText) } : {}),
          ...(msg.attachments ? { attachments: msg.attachments } : {}),
        });
        return typeof info.messageId === 'string' ? { status: 'sent', ref: info.messageId } : { status: 'sent' };
      } catch (err) {
        return classifySmtpError(err, secrets);
      }
    },
    async verify(): Promise<VerifyResult> {
      const subject = 'email SMTP';
      if (typeof settings === 'string') return { subject, status: 'failed', message: settings };
      if (!from) return { subject, status: 'failed', message: 'EMAIL_FROM is not set: set it in .env, e.g. EMAIL_FROM=earshot <alerts@example.com>' };
      const server = `${settings.host}:${settings.port}`;
      try {
        transporter ??= await makeTransporter(settings, options);
        await transporter.verify();
        return { subject, status: 'ok', message: `${server}: connected${settings.auth ? ', logged in' : ' (no login in SMTP_URL)'}` };
      } catch (err) {
        const outcome = classifySmtpError(err, secrets);
        return { subject, status: 'failed', message: `${server}: ${outcome.status === 'sent' ? 'unexpected answer' : outcome.error.replace(/^SMTP: /, '')}` };
      }
    },
    async close(): Promise<void> {
      transporter?.close();
      transporter = undefined;
    },
  };
}

export function createEmailNotifier(env: Record<string, string | undefined>, options: MailTransportOptions = {}): Notifier {
  const transport = createMailTransport(env, options);
  return {
    type: 'email',
    async send(target: string, alert: AlertContent): Promise<DeliveryOutcome> {
      const problem = validateEmailTarget(target);
      if (problem) return { status: 'failed', error: `Email: ${problem} (notify.email in rules/*.yaml)` };
      const email = (await loadRender()).renderAlertEmail(alert);
      return transport.send({
        to: [target],
        ...email,
        // Lets mail clients thread repeated alerts of one rule and filter earshot mail.
        headers: { 'X-Earshot-Rule': alert.rule, 'X-Earshot-Alert-Id': String(alert.alertId) },
      });
    },
    async verify(targets) {
      const login = await transport.verify();
      const bad = targets.map((t) => [t, validateEmailTarget(t)] as const).filter(([, problem]) => problem !== null);
      const addresses: VerifyResult = bad.length
        ? { subject: 'email addresses', status: 'failed', message: bad.map(([t, p]) => `${t}: ${p}`).join('; ') }
        : { subject: 'email addresses', status: 'unchecked', message: `${targets.length} well-formed; mailboxes are not checked online (servers accept first and bounce later): \`earshot notify test\` sends a sample` };
      return targets.length ? [login, addresses] : [login];
    },
    close: () => transport.close(),
  };
}

export const emailNotifier: NotifierPlugin = { ...emailManifest, create: (env) => createEmailNotifier(env) };
