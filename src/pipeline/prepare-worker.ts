/**
 * Worker thread of `earshot import`: prepares items (query match, analysis, fingerprint; see
 * prepare.ts) while the main thread stores the batch before. Started by PrepareWorker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createAnalyzer } from '../analyze/index.js';
import { compileQuery } from '../analyze/query/index.js';
import type { FetchedItem } from '../core/types.js';
import { prepareItem, type PrepareBrand } from './prepare.js';
import type { PrepareRequest, PrepareResponse, PrepareWorkerData } from './prepare-pool.js';

const data = workerData as PrepareWorkerData;
const analyzer = createAnalyzer();
const brands = new Map<string, PrepareBrand>(
  data.brands.map((b) => [b.id, { matcher: compileQuery(b.query), context: b.context, languages: b.languages, exclude: b.exclude }]),
);

parentPort!.on('message', (request: PrepareRequest) => {
  let response: PrepareResponse;
  try {
    const brand = brands.get(request.brand);
    if (!brand) throw new Error(`unknown brand ${request.brand}`);
    response = { seq: request.seq, prepared: request.items.map((item: FetchedItem) => prepareItem(brand, analyzer, item)) };
  } catch (err) {
    response = { seq: request.seq, error: (err as Error).message };
  }
  parentPort!.postMessage(response);
});
