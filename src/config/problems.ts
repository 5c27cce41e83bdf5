/**
 * Config problems are collected, never thrown one at a time: a user fixing rules/acme.yaml wants
 * to see every mistake in one `earshot check`, each as `file:line:col: path: message`.
 */

export type Severity = 'error' | 'warning';

export interface ConfigProblem {
  /** Path as the user would type it, relative to the config dir when inside it (e.g. 'rules/acme.yaml'). */
  file: string;
  /** 1-based; 0 when the problem is about the whole file or the environment. */
  line: number;
  col: number;
  /** Field path like 'rules[2].match.sentiment', or '' for the whole document. */
  path: string;
  message: string;
  severity: Severity;
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.col}` : problem.file;
  const level = problem.severity === 'warning' ? 'warning: ' : '';
  const path = problem.path ? `${problem.path}: ` : '';
  return `${where}: ${level}${path}${problem.message}`;
}

/** Formats a zod/JS path the way users read YAML: rules[2].match.sentiment */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

export function hasErrors(problems: readonly ConfigProblem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
