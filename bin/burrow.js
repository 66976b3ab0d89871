#!/usr/bin/env node
'use strict';
// The CLI is one CommonJS bundle (build/cli-bundle/main.cjs), compiled here with a
// V8 code cache: without one, parsing and compiling the bundle costs more than a
// container's namespaces and mounts together. The build ships a cache of what
// `--help` compiles; each command then keeps its own, written after its first
// use (beside the bundle, or in ~/.cache/burrow where the install is read-only),
// which holds the functions that command runs. A cache V8 rejects (another Node
// version) is written anew the same way; where nothing is writable the bundle
// just compiles.
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { userInfo } = require('node:os');
const { isAbsolute, join } = require('node:path');
const { Script } = require('node:vm');

const bundleDir = join(__dirname, '..', 'build', 'cli-bundle');
const bundle = join(bundleDir, 'main.cjs');
let source;
try {
  source = readFileSync(bundle, 'latin1');
} catch (error) {
  process.stderr.write(`burrow: cannot read ${bundle} (${error.code ?? error.message}): build burrow first (npm ci && npm run build)\n`);
  process.exit(125);
}
// V8 checks a cache against its source's length only: the build id on the
// bundle's first line, in every cache's name, keeps a cache from outliving its bundle.
const buildId = /^\/\/ burrow-bundle ([0-9a-f]+)/.exec(source)?.[1] ?? `size-${source.length}`;
const args = process.argv.slice(2);
// The command word, after the global `--root DIR` (cli/main.ts's commandWord decides what loads; this only names the cache).
const word = args.find((arg, at) => !arg.startsWith('-') && args[at - 1] !== '--root');
const command = word !== undefined && /^[a-z]+$/.test(word) ? word : undefined;
// Absolute paths only (as src/util/home.ts): an empty or relative HOME would put the cache in the working directory.
const home = () => {
  if (isAbsolute(process.env.HOME ?? '')) return process.env.HOME;
  try {
    return isAbsolute(userInfo().homedir) ? userInfo().homedir : undefined;
  } catch {
    return undefined;
  }
};
const cacheHome = isAbsolute(process.env.XDG_CACHE_HOME ?? '') ? process.env.XDG_CACHE_HOME : home() === undefined ? undefined : join(home(), '.cache');
const userDir = cacheHome === undefined ? undefined : join(cacheHome, 'burrow', 'code-cache');

/**
 * One script of the CLI (the bundle or a vendor bundle, scripts/bundle.mjs), compiled
 * with the first cache there is for it: this command's, then the build's general one.
 */
function compileCached(file, source) {
  const name = file.slice(bundleDir.length + 1);
  const own = command === undefined ? [] : [join(bundleDir, `${name}.${buildId}.${command}.cache`), ...(userDir === undefined ? [] : [join(userDir, `${buildId}.${name === 'main.cjs' ? '' : `${name}.`}${command}.cache`)])];
  let used;
  let cachedData;
  for (const candidate of [...own, join(bundleDir, `${name}.${buildId}.cache`)]) {
    try {
      cachedData = readFileSync(candidate);
      used = candidate;
      break;
    } catch {
      // Not there: the next, more general one.
    }
  }
  const script = new Script(wrap(source), { filename: file, cachedData });
  compiled.push({ script, used, own, general: join(bundleDir, `${name}.${buildId}.cache`) });
  const module_ = { exports: {} };
  script.runInThisContext()(module_.exports, createRequire(file), module_, file, bundleDir);
  return module_.exports;
}
const compiled = [];

// The packages a few commands use (undici for a pull, execa for a credential helper or
// systemd-run), each bundled on its own: in the CLI's bundle they were two fifths of what
// every start reads and compiles, and reading costs here (fresh memory is slow to touch).
// The bundle's imports of them come here (scripts/bundle.mjs: the vendor plugin).
const vendors = new Map();
globalThis[Symbol.for('burrow.vendor')] = (vendor) => {
  if (!vendors.has(vendor)) {
    const file = join(bundleDir, `vendor-${vendor}.cjs`);
    vendors.set(vendor, compileCached(file, readFileSync(file, 'latin1')));
  }
  return vendors.get(vendor);
};

const main = compileCached(bundle, source);

function writeCache(file, data) {
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, data);
  renameSync(partial, file);
}

/** Writes a script's cache where none fitted (or V8 rejected it): this command's, else the general one. */
function refreshCache({ script, used, own, general }) {
  const fitting = used !== undefined && !script.cachedDataRejected && (own.length === 0 || own.includes(used));
  if (fitting) return;
  const data = script.createCachedData();
  const [besideBundle, inUserDir] = own.length > 0 ? own : [general, undefined];
  try {
    writeCache(besideBundle, data);
    return;
  } catch {
    // A read-only install: the user's cache directory, if any.
  }
  if (inUserDir === undefined) return;
  try {
    mkdirSync(userDir, { recursive: true });
    for (const name of readdirSync(userDir)) if (!name.startsWith(`${buildId}.`)) rmSync(join(userDir, name), { force: true });
    writeCache(inUserDir, data);
  } catch {
    // Nowhere to write: every start compiles, a little slower.
  }
}

main.main(args).then((code) => {
  process.exitCode = code;
  for (const script of compiled) refreshCache(script);
});
