/**
 * Loads a package on first use instead of at start-up: `earshot check` must start fast, and most
 * commands never parse HTML, decode legacy encodings or talk to Twitter/X.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function lazy<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}

/**
 * A value built on first use and kept, e.g. a zod schema: `earshot check` builds only the schemas
 * of the source types a deployment uses.
 */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}
