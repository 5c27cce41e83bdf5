/**
 * Imported history (`earshot import`): its mentions carry the source key `<brand>/import`, and
 * the earliest one's publication time is kept in meta so a spike rule's history counts from it.
 * The same keys on every backend.
 */

/** The source key of mentions brought by `earshot import` for a brand. */
export function importSourceKey(brand: string): string {
  return `${brand}/import`;
}

/** The meta key holding the earliest imported mention of the brand. */
export function importedFromKey(brand: string): string {
  return `history.imported_from.${brand}`;
}
