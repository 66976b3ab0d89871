// Compiles schemas/*.schema.json into standalone validators at build time, so a
// pull does not spend ~60 ms generating ajv code on every run. One file per set
// of schemas (src/util/schema.ts loads them): build/schemas/SET.cjs.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Ajv } = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;
const { buildSync } = require('esbuild');

const SETS = {
  // What a pull validates: manifests, indexes and configs (which refer to descriptors).
  image: ['descriptor', 'manifest', 'index', 'config'],
  // --security-opt seccomp=FILE, in a file of its own: only a run that names a profile file loads it.
  seccomp: ['seccomp'],
  // burrow job run FILE: only that command loads it.
  job: ['job'],
};

const outdir = new URL('../build/schemas/', import.meta.url);
mkdirSync(outdir, { recursive: true });
for (const [set, names] of Object.entries(SETS)) {
  const ajv = new Ajv({ allErrors: false, strict: false, code: { source: true } });
  for (const name of names) ajv.addSchema(JSON.parse(readFileSync(new URL(`../schemas/${name}.schema.json`, import.meta.url), 'utf8')));
  const exports = Object.fromEntries(names.map((name) => [name, `https://burrow.dev/schemas/${name}.schema.json`]));
  const generated = new URL(`${set}.unbundled.cjs`, outdir);
  writeFileSync(generated, standaloneCode(ajv, exports));
  // One self-contained file: the validators' few ajv runtime helpers inlined, so loading
  // them costs one read instead of a walk through node_modules on every pull and run.
  buildSync({ entryPoints: [generated.pathname], bundle: true, platform: 'node', format: 'cjs', outfile: new URL(`${set}.cjs`, outdir).pathname, logLevel: 'warning' });
}
