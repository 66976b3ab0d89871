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
writeFileSync(new URL('../build/image/schema-validators.cjs', import.meta.url), standaloneCode(ajv, exports));
