/**
 * A worker thread that prepares items (prepare.ts) ahead of storage, so that on a machine with
 * two cores `earshot import` analyses one batch while it writes the one before. The results are
 * those of prepareItem inline: same analyzer, same compiled brand queries. If the worker cannot
 * start or dies, `prepare` resolves to null and the caller prepares inline.
 */
import { Worker } from 'node:worker_threads';
import type { BrandConfig } from '../config/load.js';
import type { BrandExclusions } from '../core/exclude.js';
import type { BrandContext, FetchedItem } from '../core/types.js';
import type { PreparedItem } from './prepare.js';

export interface PrepareWorkerData {
  brands: Array<{ id: string; query: string; context: BrandContext; languages: string[] | null; exclude: BrandExclusions | null }>;
}

export interface PrepareRequest {
  seq: number;
  brand: string;
  items: FetchedItem[];
}

export type PrepareResponse = { seq: number; prepared: PreparedItem[] } | { seq: number; error: string };

export class PrepareWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, (prepared: PreparedItem[] | null) => void>();
  private seq = 0;
  private failed: string | null = null;
  private closed = false;

  /** `onFailure` hears once why the worker stopped preparing (the caller goes on inline). */
  constructor(brands: Iterable<BrandConfig>, private readonly onFailure: (reason: string) => void = () => {}) {
    const data: PrepareWorkerData = {
      brands: [...brands].map((b) => ({ id: b.id, query: b.query, context: b.context, languages: b.languages, exclude: b.exclude ?? null })),
    };
    // Run from the TypeScript sources (tests, tsx), the worker is TypeScript too: it registers tsx first.
    const fromSources = import.meta.url.endsWith('.ts');
    const entry = new URL(`./prepare-worker.${fromSources ? 'ts' : 'js'}`, import.meta.url);
    this.worker = fromSources
      ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`, { eval: true, workerData: data })
      : new Worker(entry, { workerData: data });
    this.worker.on('message', (response: PrepareResponse) => {
      const resolve = this.pending.get(response.seq);
      this.pending.delete(response.seq);
      if ('error' in response) {
        this.fail(`preparing items failed: ${response.error}`);
        resolve?.(null);
      } else {
        resolve?.(response.prepared);
      }
    });
    this.worker.on('error', (err) => this.fail(`worker error: ${err.message}`));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(`worker exited with code ${code}`);
    });
  }

  /** The items' prepared forms in order, or null when the worker cannot give them. */
  prepare(brand: string, items: FetchedItem[]): Promise<PreparedItem[] | null> {
    if (this.failed || this.closed) return Promise.resolve(null);
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(seq, resolve);
      this.worker.postMessage({ seq, brand, items } satisfies PrepareRequest);
    });
  }

  private fail(reason: string): void {
    if (this.failed || this.closed) return;
    this.failed = reason;
    for (const resolve of this.pending.values()) resolve(null);
    this.pending.clear();
    this.onFailure(reason);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const resolve of this.pending.values()) resolve(null);
    this.pending.clear();
    await this.worker.terminate();
  }
}
