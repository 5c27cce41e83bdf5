/**
 * A cluster node for tests: joins the cluster of src/pipeline/cluster.ts with handlers that
 * report to a local HTTP "service" instead of polling real sources. Spawned with tsx.
 *
 * Environment: URL (database), SERVICE (recording server), NODE (name), SOURCES (count; keys
 * s1..sN), INTERVAL_MS (poll interval), POLL_MS (time a poll takes), LEASE_MS, TICK_MS.
 * Each poll POSTs {event:'start'|'end', source, node, at}; each minute run POSTs {event:'minute'}.
 */
import { createLogger } from '../../src/core/log.js';
import { Cluster } from '../../src/pipeline/cluster.js';
import { openPostgresStore } from '../../src/store/pg/store.js';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`cluster-node: ${name} is not set`);
  return value;
};

const url = env('URL');
const service = env('SERVICE');
const node = env('NODE');
const keys = Array.from({ length: Number(env('SOURCES', '0')) }, (_, i) => `s${i + 1}`);
const intervalMs = Number(env('INTERVAL_MS', '2000'));
const pollMs = Number(env('POLL_MS', '200'));

const report = (body: Record<string, unknown>): Promise<unknown> =>
  fetch(service, { method: 'POST', body: JSON.stringify({ node, at: Date.now(), ...body }) }).catch(() => undefined);

const store = await openPostgresStore(url, { max: 4 });
const log = createLogger({ level: 'warn' });
const cluster = new Cluster({
  url,
  store,
  log,
  version: 'test',
  nodeId: node,
  leaseMs: Number(env('LEASE_MS', '3000')),
  tickMs: Number(env('TICK_MS', '250')),
  handlers: {
    async dueSources() {
      const now = Date.now();
      return (await store.sources.list()).filter((s) => keys.includes(s.sourceKey) && (!s.nextPollAt || Date.parse(s.nextPollAt) <= now)).map((s) => s.sourceKey);
    },
    async poll(source, signal) {
      await report({ event: 'start', source });
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
      const at = new Date();
      await store.sources.recordSuccess(source, { at: at.toISOString(), cursor: {}, nextPollAt: new Date(at.getTime() + intervalMs).toISOString() });
      // 'end' carries the time the next poll is counted from, so a test can check the interval
      // exactly, whatever time the report takes to arrive on a loaded machine.
      await report({ event: 'end', source, at: at.getTime() });
    },
    async minute() {
      await report({ event: 'minute' });
    },
  },
});
await cluster.start();
await report({ event: 'ready' });

const stop = async (): Promise<void> => {
  await cluster.stop();
  await store.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
