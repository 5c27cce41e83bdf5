/**
 * Reads one YAML file keeping positions, so every later problem (schema, query syntax, unknown
 * brand) can point at the exact line and column of the offending value.
 */
import { readFileSync, statSync } from 'node:fs';
import { isNode, LineCounter, parseDocument, visit, type Alias, type Document } from 'yaml';
import type { ConfigProblem } from './problems.js';

/** Larger files are refused: a rules file is kilobytes; megabytes means a mistake or an attack. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Caps alias expansion, so a "billion laughs" file fails fast instead of eating memory. */
const MAX_ALIAS_COUNT = 100;

export interface YamlFile {
  file: string;
  text: string;
  doc: Document;
  lines: LineCounter;
  /** The document as plain JS, or undefined when it could not be built. */
  value: unknown;
}

export function readYamlFile(path: string, displayName: string, problems: ConfigProblem[]): YamlFile | null {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_CONFIG_BYTES) {
      problems.push(fileProblem(displayName, `file is ${size} bytes; config files are limited to ${MAX_CONFIG_BYTES} bytes`));
      return null;
    }
    text = readFileSync(path, 'utf8');
  } catch (err) {
    problems.push(fileProblem(displayName, `cannot read file: ${(err as Error).message}`));
    return null;
  }
  return parseYamlText(text, displayName, problems);
}

export function parseYamlText(text: string, displayName: string, problems: ConfigProblem[]): YamlFile | null {
  const lines = new LineCounter();
  // logLevel 'error': yaml would otherwise print its warnings (e.g. on collection keys) to stderr; they are problems here.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true, logLevel: 'error' });
  let ok = true;
  for (const err of doc.errors) {
    const pos = lines.linePos(err.pos[0]);
    problems.push({
      file: displayName,
      line: pos.line,
      col: pos.col,
      path: '',
      message: yamlMessage(err.code, err.message),
      severity: 'error',
    });
    ok = false;
  }
  for (const warn of doc.warnings) {
    const pos = lines.linePos(warn.pos[0]);
    problems.push({ file: displayName, line: pos.line, col: pos.col, path: '', message: yamlMessage(warn.code, warn.message), severity: 'warning' });
  }
  if (!ok) return null;
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // Building fails on aliases (unresolved, or too many: a "billion laughs" file): point at one.
    const message = (err as Error).message;
    const at = aliasPosition(doc, lines, /unresolved/i.test(message));
    problems.push({ file: displayName, line: at.line, col: at.col, path: '', message: `cannot build the document: ${message}`, severity: 'error' });
    return null;
  }
  return { file: displayName, text, doc, lines, value };
}

/** Where the first alias (or the first unresolvable one) is, 1-based; 1:1 when there is none. */
function aliasPosition(doc: Document, lines: LineCounter, unresolvedOnly: boolean): { line: number; col: number } {
  let found: Alias | null = null;
  visit(doc, {
    Alias(_key, node) {
      if (unresolvedOnly && node.resolve(doc) !== undefined) return undefined;
      found = node;
      return visit.BREAK;
    },
  });
  const start = (found as Alias | null)?.range?.[0];
  if (start === undefined) return { line: 1, col: 1 };
  return lines.linePos(start);
}

function yamlMessage(code: string, message: string): string {
  // yaml's own messages end with "at line N, column M" and a code frame; the position is ours already.
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'tabs are not allowed for indentation in YAML; indent with spaces';
    case 'DUPLICATE_KEY':
      return 'duplicate key: each key may appear once in a mapping';
    default:
      return `invalid YAML: ${first}`;
  }
}

export function fileProblem(file: string, message: string): ConfigProblem {
  return { file, line: 0, col: 0, path: '', message, severity: 'error' };
}

/**
 * Position of the node at `path` (or of its nearest existing ancestor), 1-based.
 * `keyOf` points at the key instead of the value (for unknown keys).
 */
export function positionOf(yaml: YamlFile, path: readonly PropertyKey[], keyOf?: string): { line: number; col: number; offset: number } {
  let nodePath = [...path];
  if (keyOf !== undefined) {
    const parent = yaml.doc.getIn(nodePath as unknown[], true);
    if (parent && typeof parent === 'object' && 'items' in parent && Array.isArray((parent as { items: unknown[] }).items)) {
      for (const item of (parent as { items: Array<{ key?: unknown }> }).items) {
        const key = item.key;
        if (isNode(key) && (key as { value?: unknown }).value === keyOf && key.range) {
          const pos = yaml.lines.linePos(key.range[0]);
          return { line: pos.line, col: pos.col, offset: key.range[0] };
        }
      }
    }
  }
  while (nodePath.length >= 0) {
    const node = nodePath.length === 0 ? yaml.doc.contents : yaml.doc.getIn(nodePath as unknown[], true);
    if (isNode(node) && node.range) {
      const pos = yaml.lines.linePos(node.range[0]);
      return { line: pos.line, col: pos.col, offset: node.range[0] };
    }
    if (nodePath.length === 0) break;
    nodePath = nodePath.slice(0, -1);
  }
  return { line: 1, col: 1, offset: 0 };
}

/** Character offset in the file where a scalar's text begins (after an opening quote). */
export function scalarTextStart(yaml: YamlFile, path: readonly PropertyKey[]): number | null {
  const node = yaml.doc.getIn(path as unknown[], true);
  if (!isNode(node) || !node.range) return null;
  const start = node.range[0];
  const first = yaml.text[start];
  return first === '"' || first === "'" ? start + 1 : start;
}
