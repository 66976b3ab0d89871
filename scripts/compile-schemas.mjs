// Compiles schemas/*.schema.json into standalone validators at build time, so a
// pull does not spend ~60 ms generating ajv code on every run.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Ajv } = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;

const names = ['descriptor', 'manifest', 'index', 'config'];
const ajv = new Ajv({ allErrors: false, strict: false, code: { source: true } });
for (const name of names) ajv.addSchema(JSON.parse(readFileSync(new URL(`../schemas/${name}.schema.json`, import.meta.url), 'utf8')));
const exports = Object.fromEntries(names.map((name) => [name, `https://burrow.dev/schemas/${name}.schema.json`]));
mkdirSync(new URL('../build/image/', import.meta.url), { recursive: true });
const generated = new URL('../build/image/schema-validators.unbundled.cjs', import.meta.url);
writeFileSync(generated, standaloneCode(ajv, exports));
// One self-contained file: the validators' few ajv runtime helpers inlined, so loading
// them costs one read instead of a walk through node_modules on every pull and run.
const { buildSync } = require('esbuild');
buildSync({ entryPoints: [generated.pathname], bundle: true, platform: 'node', format: 'cjs', outfile: new URL('../build/image/schema-validators.cjs', import.meta.url).pathname, logLevel: 'warning' });

// The seccomp profile schema (--security-opt seccomp=FILE) in a file of its own:
// only a run that names a profile file loads it.
const seccompAjv = new Ajv({ allErrors: false, strict: false, code: { source: true } });
seccompAjv.addSchema(JSON.parse(readFileSync(new URL('../schemas/seccomp.schema.json', import.meta.url), 'utf8')));
mkdirSync(new URL('../build/seccomp/', import.meta.url), { recursive: true });
const seccompGenerated = new URL('../build/seccomp/schema-validator.unbundled.cjs', import.meta.url);
writeFileSync(seccompGenerated, standaloneCode(seccompAjv, { seccomp: 'https://burrow.dev/schemas/seccomp.schema.json' }));
buildSync({ entryPoints: [seccompGenerated.pathname], bundle: true, platform: 'node', format: 'cjs', outfile: new URL('../build/seccomp/schema-validator.cjs', import.meta.url).pathname, logLevel: 'warning' });
