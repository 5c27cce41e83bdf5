import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';

function stream(isTTY: boolean, columns = 80) {
  const chunks: string[] = [];
  return { isTTY, columns, chunks, write: (s: string) => void chunks.push(s) };
}

describe('createProgress', () => {
  it('redraws one line in place on a terminal, at most every interval, then prints a summary', () => {
    let t = 0;
    const s = stream(true);
    const p = createProgress('export', { total: 200, unit: 'mentions', stream: s, now: () => t, intervalMs: 100 });
    expect(p.enabled).toBe(true);
    p.tick(); // drawn (first)
    t = 50;
    p.tick(49); // within the interval: not drawn
    t = 150;
    p.tick(50);
    t = 61_000;
    p.done('200 mentions');
    expect(s.chunks).toEqual([
      '\rexport: 1/200 mentions (0%) 0:00\u001b[K',
      '\rexport: 100/200 mentions (50%) 0:00\u001b[K',
      '\r\u001b[K',
      'export: 200 mentions in 1:01\n',
    ]);
  });

  it('writes nothing at all when the stream is not a terminal (piped, redirected)', () => {
    const s = stream(false);
    const p = createProgress('backup', { total: 10, stream: s, intervalMs: 0 });
    expect(p.enabled).toBe(false);
    for (let i = 0; i < 10; i++) p.tick();
    p.update(10, 10);
    p.done('done');
    expect(s.chunks).toEqual([]);
  });

  it('shows counts without a total, absolute updates, and fits a narrow terminal', () => {
    let t = 0;
    const s = stream(true, 20);
    const p = createProgress('rules test over stored mentions', { stream: s, now: () => (t += 1000), intervalMs: 0 });
    p.tick(5);
    p.update(7, 9);
    expect(s.chunks[0]).toBe('\rrules test over sto\u001b[K');
    const wide = stream(true, 200);
    const q = createProgress('import', { stream: wide, now: () => 0, intervalMs: 0, unit: 'lines' });
    q.tick(3);
    q.setTotal(6);
    expect(wide.chunks).toEqual(['\rimport: 3 lines 0:00\u001b[K', '\rimport: 3/6 lines (50%) 0:00\u001b[K']);
    q.done();
    q.done('twice');
    expect(wide.chunks.at(-1)).toBe('\r\u001b[K');
  });
});
