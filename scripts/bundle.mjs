// Bundles the CLI into one CommonJS file, build/cli-bundle/main.cjs, that
// bin/burrow.js compiles with a V8 code cache (see there). One file, because
// resolving and reading separate modules at every start costs more than a
// container's namespaces and mounts; CommonJS, because Node 20 has a code cache
// only for scripts. Modules a command does not need stay unevaluated (esbuild
// turns our dynamic imports into lazy initialisers).
//
// Bundled: commander (every start needs it), execa and p-limit (ESM-only,
// which a CommonJS bundle cannot require), and the modules of undici a pull
// uses (registry/http.ts imports them one by one: its index pulls in fetch and
// more, and compiling them cost a cold run 45 ms; bundled, the code cache holds
// them). Loaded from node_modules on demand: the rest (koffi is native).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { build } from 'esbuild';

const BUNDLED = new Set(['commander', 'execa', 'p-limit', 'undici']);
const { dependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const outdir = new URL('../build/cli-bundle/', import.meta.url).pathname;

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [new URL('../src/cli/main.ts', import.meta.url).pathname],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: `${outdir}main.cjs`,
  external: Object.keys(dependencies).filter((name) => !BUNDLED.has(name)),
  // Paths next to the code (`new URL('../native/…', import.meta.url)`) resolve
  // from build/cli-bundle/ exactly as from build/<module>/.
  define: { 'import.meta.url': '__burrowModuleUrl' },
  // The first line names this build: bin/burrow.js keys its code cache on it.
  banner: { js: `// burrow-bundle ${randomBytes(8).toString('hex')}\nconst __burrowModuleUrl = require('node:url').pathToFileURL(__filename).href;` },
  // Licence comments of bundled packages go to main.cjs.LEGAL.txt beside the bundle.
  legalComments: 'external',
  logLevel: 'warning',
});

// esbuild escapes strings, templates and regular expressions to ASCII; what is left outside
// ASCII is comments. Those of bundled packages (undici's) are made ASCII here, module by
// module (esbuild names each with a `// node_modules/...` line); ours are checked below.
let inPackage = false;
const bundled = readFileSync(`${outdir}main.cjs`, 'utf8')
  .split('\n')
  .map((text) => {
    const marker = /^\/\/ (node_modules|src)\//.exec(text);
    if (marker !== null) inPackage = marker[1] === 'node_modules';
    return inPackage ? text.replace(/[^\x00-\x7f]/g, '?') : text;
  })
  .join('\n');
writeFileSync(`${outdir}main.cjs`, bundled);
// A script compiled by vm.Script has no module loader: an import() left in the
// bundle (of a package kept external) would fail at run time, so fail here.
const dynamicImports = bundled.match(/\bimport\("[^"]+"\)/g);
if (dynamicImports !== null) {
  console.error(`bundle: ${dynamicImports.join(', ')} left in the bundle: load external packages with createRequire`);
  process.exit(1);
}
// One character outside ASCII (a "…" in a comment esbuild keeps) makes V8 hold the
// whole source as a two-byte string: reading, hashing and compiling it then cost a
// start some 4 ms more (measured). esbuild escapes strings; comments are ours to keep ASCII.
const line = bundled.split('\n').findIndex((text) => /[^\x00-\x7f]/.test(text));
if (line >= 0) {
  console.error(`bundle: a character outside ASCII on line ${line + 1} of the bundle: "${bundled.split('\n')[line].trim().slice(0, 80)}" (spell it in ASCII in the source)`);
  process.exit(1);
}
