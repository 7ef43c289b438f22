// `npm run lint` part: every lib is listed in nest-cli.json, a lib's index.ts exports only what others use, and no
// lib's SQL names another room's table (below the export check). Lists every name a lib's index.ts
// exports that no file outside that lib imports from `@opendsp/<lib>` (apps, other libs, tests, benches),
// and fails when there is one. Imports are read syntactically: dependency-cruiser already makes every
// import from another lib go through `@opendsp/<lib>`.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..');
const libs = readdirSync(join(root, 'libs'));

function sourceFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

// Names imported from each lib by files outside it.
const used = new Map(libs.map((lib) => [lib, new Set()]));
const wholeModule = new Set();
for (const file of ['apps', 'libs', 'test', 'bench'].flatMap((dir) => sourceFiles(join(root, dir)))) {
  // A lib's own specs may test it through its index.ts; its other files use their neighbours directly.
  const ownLib = file.endsWith('.spec.ts') ? undefined : relative(root, file).match(/^libs\/([^/]+)\//)?.[1];
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const visit = (node) => {
    const specifier =
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)
        ? node.moduleSpecifier.text
        : ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(node.arguments[0])
          ? node.arguments[0].text
          : undefined;
    const lib = specifier?.match(/^@opendsp\/([^/]+)$/)?.[1];
    if (lib && lib !== ownLib && used.has(lib)) {
      const names = used.get(lib);
      const clause = ts.isImportDeclaration(node) ? node.importClause : undefined;
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings))
        for (const element of bindings.elements) names.add((element.propertyName ?? element.name).text);
      else if (ts.isExportDeclaration(node) && node.exportClause && ts.isNamedExports(node.exportClause))
        for (const element of node.exportClause.elements) names.add((element.propertyName ?? element.name).text);
      else wholeModule.add(lib);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

// Names each lib's index.ts exports, resolved through `export *` by the type checker.
const indexes = libs.map((lib) => join(root, 'libs', lib, 'src', 'index.ts'));
const config = ts.getParsedCommandLineOfConfigFile(
  join(root, 'tsconfig.json'),
  {},
  { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
);
const program = ts.createProgram(indexes, config.options);
const checker = program.getTypeChecker();
const unused = [];
for (const [index, lib] of indexes.map((path, i) => [path, libs[i]])) {
  if (wholeModule.has(lib)) continue;
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(index));
  if (!symbol) continue;
  for (const exported of checker.getExportsOfModule(symbol)) {
    if (!used.get(lib).has(exported.name))
      unused.push(`libs/${lib}/src/index.ts exports ${exported.name}, which nothing outside the lib imports`);
  }
}
// SQL naming another room's table: a string or template literal in a lib's shipped code with `from`, `join`,
// `into`, `update` or `exists` before a table whose entity (`tableName: '…'`) another lib declares. A room reads
// another's rows through that room's services, or composes SQL the owner exports (docs/architecture.md).
const owners = new Map();
for (const lib of libs)
  for (const file of sourceFiles(join(root, 'libs', lib, 'src')))
    for (const match of readFileSync(file, 'utf8').matchAll(/tableName:\s*'([a-z_]+)'/g)) owners.set(match[1], lib);
const tableNames = [...owners.keys()].sort((a, b) => b.length - a.length).join('|');
const tableReference = new RegExp(`\\b(?:from|join|into|update|exists)\\s+"?(${tableNames})"?(?![a-z_])`, 'gi');
// Crossings allowed for now, each listed in docs/architecture.md under "Not yet true everywhere" (none today).
const knownCrossings = new Set([]);
const crossings = [];
for (const lib of libs) {
  for (const file of sourceFiles(join(root, 'libs', lib, 'src'))) {
    if (file.endsWith('.spec.ts') || file.includes('/migrations/')) continue;
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
        for (const match of node.text.matchAll(tableReference)) {
          const table = match[1].toLowerCase();
          const path = relative(root, file);
          if (owners.get(table) === lib || knownCrossings.has(`${path} ${table}`)) continue;
          const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          crossings.push(`${path}:${line} names ${table}, a table of libs/${owners.get(table)}: ask that room's services`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
}
for (const line of crossings) console.error(line);

const projects = JSON.parse(readFileSync(join(root, 'nest-cli.json'), 'utf8')).projects;
const unlisted = libs.filter((lib) => projects[lib]?.sourceRoot !== `libs/${lib}/src`);
for (const lib of unlisted) console.error(`nest-cli.json does not list libs/${lib} (projects.${lib} with sourceRoot libs/${lib}/src)`);
for (const line of unused) console.error(line);
if (unlisted.length > 0 || crossings.length > 0) process.exit(1);
if (unused.length > 0) {
  console.error(`\n${unused.length} exports no other room uses: stop exporting them (or delete them when nothing uses them at all)`);
  process.exit(1);
}
