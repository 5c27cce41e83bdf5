/** Mentions' flag columns (migration 008-mention-flags), shared by the SQLite and PostgreSQL stores. */
import type { Flags } from '../core/types.js';

export interface FlagColumns {
  flag_offensive: number | null;
  flag_hate: number | null;
  flag_irony: number | null;
}

/** Flags from their columns: null when the mention was stored before the analyzer had flags. */
export function flagsOf(row: FlagColumns): Flags | null {
  if (row.flag_offensive === null || row.flag_hate === null || row.flag_irony === null) return null;
  return { offensive: row.flag_offensive, hate: row.flag_hate, irony: row.flag_irony };
}
