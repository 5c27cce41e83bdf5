import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/log.js';
import { openSqliteStore } from '../store/sqlite/store.js';
import { HttpAddressError, parseHttpAddress, startOpsServer } from './server.js';

describe('parseHttpAddress', () => {
  it.each([
    [true, '127.0.0.1', 9464, false],
    ['', '127.0.0.1', 9464, false],
    ['9464', '127.0.0.1', 9464, false],
    [':9000', '127.0.0.1', 9000, false],
    ['127.0.0.1:0', '127.0.0.1', 0, false],
    ['localhost:9464', 'localhost', 9464, false],
    ['[::1]:9464', '::1', 9464, false],
    ['::1', '::1', 9464, false],
    ['127.0.0.2:80', '127.0.0.2', 80, false],
    ['0.0.0.0:9464', '0.0.0.0', 9464, true],
    ['[::]:9464', '::', 9464, true],
    ['10.0.0.5', '10.0.0.5', 9464, true],
    ['metrics.internal:9100', 'metrics.internal', 9100, true],
  ] as const)('%j -> %s:%d (exposed %s)', (value, host, port, exposed) => {
    expect(parseHttpAddress(value)).toEqual({ host, port, exposed });
  });

  it.each(['127.0.0.1:99999', 'host:port', 'a b:80', '127.0.0.1:'])('rejects %j saying how to write it', (value) => {
    expect(() => parseHttpAddress(value)).toThrow(HttpAddressError);
    expect(() => parseHttpAddress(value)).toThrow(/write it like 127\.0\.0\.1:9464/);
  });
});

describe('startOpsServer', () => {
  it('reports an address in use clearly', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const store = openSqliteStore(':memory:');
    try {
      await expect(
        startOpsServer({
          address: { host: '127.0.0.1', port, exposed: false },
          store,
          scheduler: { health: () => ({ running: true, lastPassAt: new Date(), lastPassError: null }) },
          log: silentLogger(),
        }),
      ).rejects.toThrow(`--http 127.0.0.1:${port}: the address is in use`);
    } finally {
      await store.close();
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('reports a stuck scheduler and a failing last pass', async () => {
    const store = openSqliteStore(':memory:');
    let state = { running: true, lastPassAt: new Date('2026-11-23T12:00:00Z') as Date | null, lastPassError: null as string | null };
    let now = new Date('2026-11-23T12:00:30Z');
    const server = await startOpsServer({
      address: { host: '127.0.0.1', port: 0, exposed: false },
      store,
      scheduler: { health: () => state },
      log: silentLogger(),
      now: () => now,
    });
    try {
      const get = async () => {
        const res = await fetch(`${server.url}/healthz`);
        return { status: res.status, body: (await res.json()) as { problems: string[] } };
      };
      expect((await get()).status).toBe(200);
      now = new Date('2026-11-23T12:02:00Z');
      expect(await get()).toEqual({ status: 503, body: expect.objectContaining({ problems: ['scheduler is stuck: last pass 2m ago'] }) });
      now = new Date('2026-11-23T12:00:10Z');
      state = { ...state, lastPassError: 'database is locked' };
      expect((await get()).body.problems).toEqual(["scheduler's last pass failed: database is locked"]);
      state = { running: true, lastPassAt: null, lastPassError: null };
      expect((await get()).body.problems).toEqual(['scheduler has not completed a pass yet']);
    } finally {
      await server.close();
      await store.close();
    }
  });
});
