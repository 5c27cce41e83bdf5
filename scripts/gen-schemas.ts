/**
 * Writes schemas/rules.schema.json and schemas/sources.schema.json from the zod schemas
 * (src/config/json-schema.ts). Run after changing a config schema: `npm run schemas`.
 * `--check` writes nothing and exits 1 when a committed file is out of date.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaFileContents } from '../src/config/json-schema.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'schemas');
const check = process.argv.includes('--check');

let stale = 0;
mkdirSync(outDir, { recursive: true });
for (const [name, text] of Object.entries(schemaFileContents())) {
  const path = join(outDir, name);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
  if (current === text) {
    console.log(`schemas/${name}: up to date`);
    continue;
  }
  if (check) {
    console.error(`schemas/${name}: out of date; run \`npm run schemas\``);
    stale++;
    continue;
  }
  writeFileSync(path, text);
  console.log(`schemas/${name}: written`);
}
process.exitCode = stale > 0 ? 1 : 0;
