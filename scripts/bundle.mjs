// Bundles the CLI into CommonJS files in build/cli-bundle/ that bin/burrow.js
// compiles with V8 code caches (see there): main.cjs, every command, and run.cjs,
// `burrow run` alone. Bundles, because resolving and reading separate modules at
// every start costs more than a container's namespaces and mounts; CommonJS,
// because Node 20 has a code cache only for scripts. Modules a command does not need stay unevaluated (esbuild
// turns our dynamic imports into lazy initialisers).
//
// Bundled: commander (every start needs it) and p-limit (ESM-only, which a
// CommonJS bundle cannot require); in vendor bundles of their own beside it (see
// vendorPlugin): execa (ESM-only too) and the modules of undici a pull uses
// (registry/http.ts imports them one by one: its index pulls in fetch and more,
// and compiling them cost a cold run 45 ms; bundled, a code cache holds them).
// Loaded from node_modules on demand: the rest (koffi is native).
import { readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { build } from 'esbuild';

// execa and undici are not external either: vendorPlugin takes their imports.
const BUNDLED = new Set(['commander', 'execa', 'p-limit', 'undici']);
const { dependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const outdir = new URL('../build/cli-bundle/', import.meta.url).pathname;

/**
 * undici and execa go to bundles of their own (vendor-undici.cjs, vendor-execa.cjs), which
 * bin/burrow.js compiles (with their code caches) when a command first imports them: in
 * the CLI's bundle they were 670 of its 1,800 kB, read and copied on every start, and a
 * warm `run` uses neither. Each import of them in the CLI becomes a module that asks
 * bin/burrow.js for the vendor bundle (by a global symbol) and takes its part of it.
 * They share no class or state with burrow's modules, so being loaded apart changes nothing.
 */
const VENDORED = { undici: /^undici\/lib\//, execa: /^execa$/ };
const vendorParts = { undici: new Set(), execa: new Set() };
const vendorPlugin = {
  name: 'vendor',
  setup(build) {
    for (const [vendor, pattern] of Object.entries(VENDORED)) {
      build.onResolve({ filter: pattern }, (args) => {
        vendorParts[vendor].add(args.path);
        return { path: args.path, namespace: `vendor-${vendor}` };
      });
      build.onLoad({ filter: /.*/, namespace: `vendor-${vendor}` }, (args) => ({
        contents: `module.exports = globalThis[Symbol.for('burrow.vendor')](${JSON.stringify(vendor)})[${JSON.stringify(args.path)}];`,
        loader: 'js',
      }));
    }
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Whitespace and syntax only: what every start reads shrinks by a quarter, and names
  // (in stack traces, BURROW_DEBUG=1) stay as written.
  minifyWhitespace: true,
  minifySyntax: true,
  // Licence comments of bundled packages go to FILE.LEGAL.txt beside each bundle.
  legalComments: 'external',
  logLevel: 'warning',
};
const buildId = randomBytes(8).toString('hex');

/**
 * The CLI's bundles: main.cjs (every command) and run.cjs (`burrow run` alone: main.ts
 * with commands-run.ts, run's entry only, in place of commands.ts). bin/burrow.js picks
 * one by the command word.
 */
const CLI_BUNDLES = { 'main.cjs': undefined, 'run.cjs': 'commands-run.ts' };

rmSync(outdir, { recursive: true, force: true });
/** main.ts's `./commands.js` as `table` instead. */
const commandTablePlugin = (table) => ({
  name: 'command-table',
  setup(build) {
    build.onResolve({ filter: /^\.\/commands\.js$/ }, (args) => (args.importer.endsWith('/src/cli/main.ts') ? { path: `${args.resolveDir}/${table}` } : undefined));
  },
});
for (const [file, commandTable] of Object.entries(CLI_BUNDLES)) {
  await build({
    ...common,
    entryPoints: [new URL('../src/cli/main.ts', import.meta.url).pathname],
    outfile: `${outdir}${file}`,
    external: Object.keys(dependencies).filter((name) => !BUNDLED.has(name)),
    plugins: commandTable === undefined ? [vendorPlugin] : [vendorPlugin, commandTablePlugin(commandTable)],
    // Paths next to the code (`new URL('../native/…', import.meta.url)`) resolve
    // from build/cli-bundle/ exactly as from build/<module>/.
    define: { 'import.meta.url': '__burrowModuleUrl' },
    // The first line names this build: bin/burrow.js keys its code caches on it.
    banner: { js: `// burrow-bundle ${buildId}\nconst __burrowModuleUrl = require('node:url').pathToFileURL(__filename).href;` },
  });
}
// Each vendor bundle: an object of the modules the CLI imports, by the names it imports them by.
for (const [vendor, parts] of Object.entries(vendorParts)) {
  await build({
    ...common,
    stdin: { contents: `module.exports = {${[...parts].map((part) => `${JSON.stringify(part)}: require(${JSON.stringify(part)})`).join(', ')}};`, resolveDir: new URL('..', import.meta.url).pathname, loader: 'js' },
    outfile: `${outdir}vendor-${vendor}.cjs`,
    banner: { js: `// burrow-vendor ${vendor} ${buildId}` },
  });
}

// Minified, a bundle keeps no comments, and esbuild escapes strings, templates and regular
// expressions to ASCII: each is checked below.
for (const file of [...Object.keys(CLI_BUNDLES), ...Object.keys(vendorParts).map((vendor) => `vendor-${vendor}.cjs`)]) {
  const bundled = readFileSync(`${outdir}${file}`, 'utf8');
  // A script compiled by vm.Script has no module loader: an import() left in the
  // bundle (of a package kept external) would fail at run time, so fail here.
  const dynamicImports = bundled.match(/\bimport\("[^"]+"\)/g);
  if (dynamicImports !== null) {
    console.error(`bundle: ${dynamicImports.join(', ')} left in the bundle: load external packages with createRequire`);
    process.exit(1);
  }
  // One character outside ASCII makes V8 hold the whole source as a two-byte string
  // (reading, hashing and compiling it then cost a start some 4 ms more, measured), and
  // bin/burrow.js reads the bundles as Latin-1, which is ASCII's one-byte form.
  const line = bundled.split('\n').findIndex((text) => /[^\x00-\x7f]/.test(text));
  if (line >= 0) {
    console.error(`bundle: a character outside ASCII on line ${line + 1} of ${file}: "${bundled.split('\n')[line].trim().slice(0, 80)}" (spell it in ASCII in the source)`);
    process.exit(1);
  }
}
