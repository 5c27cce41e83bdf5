/**
 * `earshot password`: asks for the web UI password (twice, without echo, on a terminal; or reads
 * the first line of standard input when piped) and prints the line to put in .env:
 * `EARSHOT_UI_PASSWORD_HASH=scrypt:...`. The password itself is never printed or stored.
 */
import { hashPassword, MIN_PASSWORD_LENGTH } from '../web/password.js';
import { UserError, type Context } from './context.js';

export interface PasswordInput {
  /** Reads one line; `hidden` when the terminal must not echo it. */
  ask(prompt: string): Promise<string>;
  /** Whether the input is a terminal (then it asks twice). */
  interactive: boolean;
}

/** Reads a line from a terminal in raw mode, echoing nothing. Ctrl-C aborts. */
function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err: Error | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003') return done(new UserError('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function readStdinLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

export const processPasswordInput: PasswordInput = {
  interactive: Boolean(process.stdin.isTTY),
  ask: (prompt) => (process.stdin.isTTY ? askHidden(prompt) : readStdinLine()),
};

export async function passwordCommand(ctx: Context, input: PasswordInput = processPasswordInput): Promise<number> {
  const password = await input.ask('Password for the earshot web UI: ');
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new UserError(`the password is ${password.length} characters long: use at least ${MIN_PASSWORD_LENGTH} (a few random words work well)`);
  }
  if (input.interactive && (await input.ask('The same again: ')) !== password) throw new UserError('the two passwords differ: nothing was printed; run `earshot password` again');
  ctx.io.out(`EARSHOT_UI_PASSWORD_HASH=${await hashPassword(password)}`);
  ctx.io.err('Put this line in .env (or the environment) and restart `earshot run --http`; then sign in at /login.');
  return 0;
}
