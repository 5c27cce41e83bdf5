/**
 * Waiting in fake servers for `n` received items: resolves with the list once it is long enough,
 * rejects after `timeoutMs`. The server calls every function in `waiters` after each arrival.
 */
export function waitForCount<T>(list: T[], n: number, waiters: Set<() => void>, timeoutMs: number, server: string, noun = 'message(s)'): Promise<T[]> {
  if (list.length >= n) return Promise.resolve(list);
  return new Promise((resolve, reject) => {
    const wake = (): void => {
      if (list.length < n) return;
      clearTimeout(timer);
      waiters.delete(wake);
      resolve(list);
    };
    const timer = setTimeout(() => {
      waiters.delete(wake);
      reject(new Error(`${server}: expected ${n} ${noun} within ${timeoutMs} ms, got ${list.length}`));
    }, timeoutMs);
    waiters.add(wake);
  });
}

/** Polls `check` until it returns a truthy value (which is returned); throws after `timeoutMs`. */
export async function until<T>(
  check: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  timeoutMs: number,
  what: string,
  intervalMs = 25,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
