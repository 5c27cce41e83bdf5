/**
 * "unknown key throtle: did you mean throttle?": the keys a zod schema allows at a path, and the
 * nearest of them to a typo. Also the value with its unknown keys taken out, so that a typo does
 * not hide the other problems of the same rule or brand (a check reports everything in one run).
 */
import type { z } from 'zod';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  getter?: () => z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The schemas a value at this schema may be checked by, looking through wrappers and unions. */
function alternatives(schema: z.ZodType, depth = 0): z.ZodType[] {
  if (depth > 20) return [];
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return def.innerType ? alternatives(def.innerType, depth + 1) : [];
    case 'pipe':
      return [...(def.in ? alternatives(def.in, depth + 1) : []), ...(def.out ? alternatives(def.out, depth + 1) : [])];
    case 'union':
      return (def.options ?? []).flatMap((o) => alternatives(o, depth + 1));
    case 'intersection':
      return [...(def.left ? alternatives(def.left, depth + 1) : []), ...(def.right ? alternatives(def.right, depth + 1) : [])];
    case 'lazy':
      return def.getter ? alternatives(def.getter(), depth + 1) : [];
    default:
      return [schema];
  }
}

/** Object keys the schema allows at `path` (all union branches together). */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current = alternatives(schema);
  for (const segment of path) {
    const next: z.ZodType[] = [];
    for (const s of current) {
      const def = defOf(s);
      if (typeof segment === 'number' && def.type === 'array' && def.element) next.push(...alternatives(def.element));
      if (typeof segment === 'string' && def.type === 'object' && def.shape?.[segment]) next.push(...alternatives(def.shape[segment]!));
    }
    current = next;
  }
  const keys = new Set<string>();
  for (const s of current) {
    const def = defOf(s);
    if (def.type === 'object') for (const k of Object.keys(def.shape ?? {})) keys.add(k);
  }
  return [...keys];
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The candidate nearest to `word` when it is close enough to be a typo of it (case ignored), else null. */
export function nearest(word: string, candidates: Iterable<string>): string | null {
  const lower = word.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    if (d < bestDistance && d <= limit) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** A copy of `value` without the keys the issues name as unknown (null when there are none). */
export function withoutUnknownKeys(value: unknown, issues: ReadonlyArray<{ code: string; path: PropertyKey[]; keys?: string[] }>): unknown {
  const unknown = issues.filter((i) => i.code === 'unrecognized_keys' && i.keys?.length);
  if (unknown.length === 0) return null;
  const copy = structuredClone(value) as unknown;
  for (const issue of unknown) {
    let target: unknown = copy;
    for (const segment of issue.path) target = (target as Record<PropertyKey, unknown> | null)?.[segment];
    if (target && typeof target === 'object') for (const key of issue.keys!) delete (target as Record<string, unknown>)[key];
  }
  return copy;
}
