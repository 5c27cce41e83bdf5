/**
 * What source and notifier manifests share: how a plugin documents the environment it reads.
 * `earshot init` writes `.env.example` from these, so a new plugin's variables appear there
 * without anyone editing the template.
 */

export interface EnvVarDoc {
  name: string;
  /** An optional setting (an endpoint override): written commented out, with this example value. */
  example?: string;
  /** A comment line above the variable (what it is for, when the plugin's `about` does not say). */
  comment?: string;
}

export interface EnvDoc {
  /** The comment line above the variables in .env.example, e.g. 'Twitter/X API v2 app bearer token'. */
  about: string;
  vars: EnvVarDoc[];
}

/** The lines of .env.example for one plugin (empty when it reads no environment). */
export function envExampleLines(doc: EnvDoc | null): string[] {
  if (!doc || doc.vars.length === 0) return [];
  const vars = doc.vars.flatMap((v) => [...(v.comment ? [`# ${v.comment}`] : []), v.example === undefined ? `${v.name}=` : `# ${v.name}=${v.example}`]);
  return doc.about ? [`# ${doc.about}`, ...vars] : vars;
}
