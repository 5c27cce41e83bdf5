/**
 * The house's plan, checked on every run (STYLE.md, "Layers, and where a thing may reach"):
 *   - imports run one way: cli → ops → web → pipeline → digest → config → rules/triage →
 *     sources · notifiers · store → analyze → core (an arrow: may import). Nothing imports upward
 *     or sideways within a layer (config builds the rule model that rules own: config may import
 *     rules, never the reverse);
 *   - no plugin folder (sources/<type>/, notifiers/<type>/) imports another plugin folder: a
 *     helper two plugins share lives at the top of their folder;
 *   - SQL lives only in src/store/: no prepare/exec/pragma on a connection, no SQL statement in
 *     a string, anywhere else;
 *   - a shipped migration is never edited: each one's checksum is frozen here.
 * Sources are read with the TypeScript parser (imports, string and template literals), so a
 * regular expression or a comment never counts. Tests (*.test.ts) may reach anywhere.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../src/store/migrations.js';
import { PG_MIGRATIONS } from '../src/store/pg/migrations.js';

const HERE = fileURLToPath(import.meta.url);
const SRC = resolve(dirname(HERE), '../src');

/** Lowest first. A folder may import its own layer's folder and any folder of a lower layer. */
export const LAYERS: readonly (readonly string[])[] = [
  ['core'],
  // The store's PostgreSQL search speaks the query language (analyze/query/tsquery.ts).
  ['analyze'],
  ['sources', 'notifiers', 'store'],
  ['rules', 'triage'],
  ['config'],
  ['digest'],
  ['pipeline'],
  ['web'],
  ['ops'],
  ['cli'],
];
/** Folders of one layer that may import each other. */
const SIBLINGS = new Set<string>();
const PLUGIN_FOLDERS = new Set(['sources', 'notifiers']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const FILES = sourceFiles(SRC);
const parsed = new Map(FILES.map((file) => [file, ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS)]));
const rel = (file: string) => relative(resolve(SRC, '..'), file).split(sep).join('/');

/** Relative module specifiers of every import, export-from and dynamic import(). */
function importsOf(source: ts.SourceFile): Array<{ spec: string; line: number }> {
  const found: Array<{ spec: string; line: number }> = [];
  const add = (node: ts.Node, spec: ts.Expression | undefined) => {
    if (spec && ts.isStringLiteralLike(spec)) found.push({ spec: spec.text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal as ts.Expression);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function layerOf(folder: string): number {
  return LAYERS.findIndex((layer) => layer.includes(folder));
}

/** [top folder, plugin folder or null] of a file under src/. */
function placeOf(file: string): [string, string | null] {
  const parts = relative(SRC, file).split(sep);
  const top = parts.length > 1 ? parts[0]! : '(src)';
  const plugin = PLUGIN_FOLDERS.has(top) && parts.length > 2 ? `${top}/${parts[1]}` : null;
  return [top, plugin];
}

describe('layers', () => {
  it('every folder of src/ has a place in the layers', () => {
    const folders = [...new Set(FILES.map((f) => placeOf(f)[0]))].sort();
    const unplaced = folders.filter((f) => layerOf(f) === -1);
    expect(unplaced, `add these folders of src/ to LAYERS in ${rel(HERE)}`).toEqual([]);
  });

  it('nothing imports upward or sideways, and no plugin folder imports another', () => {
    const violations: string[] = [];
    for (const [file, source] of parsed) {
      const [from, fromPlugin] = placeOf(file);
      for (const { spec, line } of importsOf(source)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(SRC + sep)) continue;
        const [to, toPlugin] = placeOf(target);
        const where = `${rel(file)}:${line} imports ${spec}`;
        if (fromPlugin && toPlugin && fromPlugin !== toPlugin) violations.push(`${where}: plugin ${fromPlugin} reaches into plugin ${toPlugin}`);
        if (from === to) continue;
        const a = layerOf(from);
        const b = layerOf(to);
        if (b > a) violations.push(`${where}: ${from} may not import ${to}, a higher layer`);
        else if (b === a && !SIBLINGS.has(`${from}>${to}`)) violations.push(`${where}: ${from} and ${to} are one layer and may not import each other`);
      }
    }
    expect(violations).toEqual([]);
  });
});

/** A statement, not prose: upper-case keywords the way SQL is written in this code base. */
const SQL_TEXT = /\b(SELECT\b[\s\S]*\bFROM\b|SELECT\s+\w+\(|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|CREATE\s+(TABLE|INDEX|TRIGGER|VIRTUAL)\b|ALTER\s+TABLE\b|DROP\s+(TABLE|INDEX)\b|PRAGMA\s+\w+)/;
/**
 * Calls that run SQL on a better-sqlite3 connection whatever the text (BEGIN, a pragma). pg's
 * client.query(text) is caught by its text: `.query('since')` is also how Hono reads a URL.
 */
const SQL_CALLS = new Set(['prepare', 'exec', 'pragma']);

function sqlOutsideStore(file: string, source: ts.SourceFile): string[] {
  const found: string[] = [];
  const at = (node: ts.Node) => `${rel(file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      if (SQL_TEXT.test(node.text)) found.push(`${at(node)}: SQL in a string: ${node.text.slice(0, 60).replace(/\s+/g, ' ')}`);
    } else if (ts.isTemplateExpression(node)) {
      const text = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ? ').trim();
      if (SQL_TEXT.test(text)) found.push(`${at(node)}: SQL in a template: ${text.slice(0, 60).replace(/\s+/g, ' ')}`);
    } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && SQL_CALLS.has(node.expression.name.text)) {
      // worker.prepare(brand, items) and regex.exec(text) take no SQL: only a string argument is a statement.
      const first = node.arguments[0];
      if (first && (ts.isStringLiteralLike(first) || ts.isTemplateExpression(first))) {
        found.push(`${at(node)}: .${node.expression.name.text}() with a statement`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('SQL lives in src/store/', () => {
  it('no statement or statement call anywhere else in src/', () => {
    const found = [...parsed].filter(([file]) => placeOf(file)[0] !== 'store').flatMap(([file, source]) => sqlOutsideStore(file, source));
    expect(found).toEqual([]);
  });

  it('the check finds SQL where there is some (it would catch a regression)', () => {
    const probe = ts.createSourceFile(
      'probe.ts',
      [
        "db.prepare('SELECT 1 FROM mentions').get();",
        'db.exec(`DELETE FROM poll_log WHERE id = ${id}`);',
        "const q = `UPDATE deliveries SET status = 'sent' WHERE id = ${id}`;",
        "db.pragma('user_version');",
        '// SELECT * FROM comments is prose',
        'const ok = /SELECT (.*) FROM/.exec(text); worker.prepare(brand, items); c.req.query(\'since\');',
        "await client.query('SELECT pg_advisory_lock($1)', [key]);",
      ].join('\n'),
      ts.ScriptTarget.ES2022,
      true,
    );
    const found = sqlOutsideStore(join(SRC, 'probe.ts'), probe).map((f) => f.replace(/^[^:]+:/, ''));
    expect(found).toEqual([
      "1: .prepare() with a statement",
      '1: SQL in a string: SELECT 1 FROM mentions',
      '2: .exec() with a statement',
      '2: SQL in a template: DELETE FROM poll_log WHERE id = ?',
      "3: SQL in a template: UPDATE deliveries SET status = 'sent' WHERE id = ?",
      '4: .pragma() with a statement',
      '7: SQL in a string: SELECT pg_advisory_lock($1)',
    ]);
  });
});

/**
 * The frozen checksums (sha256 of the SQL) of every shipped migration. Editing a shipped
 * migration fails here: add a new migration at the end instead. A new migration fails until its
 * checksum is added below (the message gives the line): that is the moment it ships.
 */
const FROZEN: Record<'sqlite' | 'postgres', Record<string, string>> = {
  sqlite: {
    '001-initial': '43055da5cd5a4c8b02d0d799c4131a1f6e2808ed530b02948dfb8439b3a0586e',
    '002-digests': 'faed9dcd9963852b07978cb52459e29dad7ffcbdfe8c6280deffd8d3e726f648',
    '003-ops': 'ff7c3b2def23e846bb36940c232eee63de454b8b556a4bac8992f2a72d9ceaea',
    '004-rule-types': '3699258e6cd581392ebe08c7dfce0488de1352a13c6cb9b6ce87586950b4a42a',
    '005-silences': 'c965c899ae122641e62ce1d271124f819f09afc845e01752aafc28346241e44e',
    '006-triage': '0ed39e0a296361a7d65bd3598f0173de2d95f26a91dc208fe6a72c57d17838ab',
    '007-delivery-retries': 'b3656976919c976c1e86c8218698f39d4dd8363f635070491366b9fe323e2dbb',
    '008-mention-flags': '15a9ed031649100988098590defdcbed9aee6e2d2c6819d41ede1d8f37388252',
    '009-triage-indexes': '577333cc4ad85125be2c9d02f20779ff3a48ea36d960b27c5815e0ad0c409a47',
    '010-fts-by-store': 'adb697f85640cd9737b401bedb23bb06f24b8029f9d3b336ece8d782d6a3b9d3',
    '011-period-indexes': '048ff5f1595e04471f1d7aa885cb0e8f27f1711d6447e1518aa8be8afc77b7d6',
  },
  postgres: {
    '001-initial': 'e0770f60179b6ecb153fb3f0d88de22d1b3cbb11aa847978e88029593149115d',
    '002-digests': '2f4b5174a299502242cdf63b6dab41aec72f5dcbd22792184a9db2c6d6cb6496',
    '003-ops': '6b6a1146c3609642fa0b2e92ad249a105d0a45bd178a8c5e400bfeb2383ef5a6',
    '004-rule-types': '3aeae742af93c37cf4695e58478667aa6942e0939cd8ed3d0912681a51110f02',
    '005-silences': '83e0b62407343afd9c44ee687a1393e3cfb4e64c055787d982627c7a01725bc6',
    'pg-001-cluster': 'aa47e5298f9243948ebd9ee7a6bcf6c01a9103ed2b34d6c6838ba48d3c97912c',
    '006-triage': '1a2964582fef5c58ccb05fae567ff345397bcc0744252427e276de8ea231e797',
    '007-delivery-retries': '83208aa8019065baae525b507c246911295de91fe04f0abd192b948c6363faf5',
    '008-mention-flags': '5c59138236eb44e3d9226f847925fc3756c66186cd4992f44da85a82b6872c6f',
    '009-triage-indexes': 'c22cb9817328dc01b8ba6bdbed5bdb58b3f2a53a315a2af4c9ed330d43167748',
    '010-fts-by-store': 'a31d1f06c9f758d9aabb1ccfa350dd2df3b875284998d1d7889b5745cc8e2a30',
    '011-period-indexes': 'd3bffdd69944db1d8f4862e30f869f8e584f08b35c10ea943ddd8ccc522ded63',
    'pg-002-slack-requests': 'c91be17303fdc73caffe74f4fd18879036e229d0982459b62d1c8ae924b7b954',
  },
};

function checksums(migrations: readonly { name: string; sql: string }[]): Record<string, string> {
  return Object.fromEntries(migrations.map((m) => [m.name, createHash('sha256').update(m.sql).digest('hex')]));
}

describe('the SQLite triage store runs each call to completion at once', () => {
  // SqliteStore.triage() holds the connection only while a call runs synchronously: an await inside
  // a method would let the rest of it land inside another caller's transaction (see the contract
  // test "a triage action made while a transaction is open is not part of it").
  it('src/store/sqlite/triage.ts never awaits or yields', () => {
    const file = join(SRC, 'store', 'sqlite', 'triage.ts');
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const found: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isAwaitExpression(node) || ts.isYieldExpression(node) || (ts.isForOfStatement(node) && node.awaitModifier)) {
        found.push(`${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText().slice(0, 60)}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    expect(found).toEqual([]);
  });
});

describe('migrations are append-only', () => {
  it.each([
    ['sqlite', MIGRATIONS],
    ['postgres', PG_MIGRATIONS],
  ] as const)('%s: every migration matches its frozen checksum', (dialect, migrations) => {
    const actual = checksums(migrations);
    const frozen = FROZEN[dialect];
    const edited = Object.keys(frozen).filter((name) => name in actual && actual[name] !== frozen[name]);
    expect(edited, `${dialect} migrations edited after they shipped: revert them and add a new migration instead`).toEqual([]);
    const removed = Object.keys(frozen).filter((name) => !(name in actual));
    expect(removed, `${dialect} migrations removed or renamed after they shipped`).toEqual([]);
    const unfrozen = Object.entries(actual).filter(([name]) => !(name in frozen)).map(([name, sum]) => `'${name}': '${sum}',`);
    expect(unfrozen, `new ${dialect} migrations: add these lines to FROZEN.${dialect} in ${rel(HERE)}`).toEqual([]);
  });

  it('keeps the order it shipped in: frozen migrations come first, in their order', () => {
    for (const [dialect, migrations] of [['sqlite', MIGRATIONS], ['postgres', PG_MIGRATIONS]] as const) {
      const names = migrations.map((m) => m.name);
      expect(names.slice(0, Object.keys(FROZEN[dialect]).length), dialect).toEqual(Object.keys(FROZEN[dialect]));
    }
  });
});
