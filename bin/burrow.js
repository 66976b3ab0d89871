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
  source = readFileSync(bundle, 'utf8');
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
const ownCaches = command === undefined ? [] : [join(bundleDir, `main.cjs.${buildId}.${command}.cache`), ...(userDir === undefined ? [] : [join(userDir, `${buildId}.${command}.cache`)])];

let used;
let cachedData;
for (const candidate of [...ownCaches, join(bundleDir, `main.cjs.${buildId}.cache`)]) {
  try {
    cachedData = readFileSync(candidate);
    used = candidate;
    break;
  } catch {
    // Not there: the next, more general one.
  }
}
const script = new Script(wrap(source), { filename: bundle, cachedData });
const module_ = { exports: {} };
script.runInThisContext()(module_.exports, createRequire(bundle), module_, bundle, bundleDir);

function writeCache(file, data) {
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, data);
  renameSync(partial, file);
}

function refreshCache() {
  const fitting = used !== undefined && !script.cachedDataRejected && (ownCaches.length === 0 || ownCaches.includes(used));
  if (fitting) return;
  const data = script.createCachedData();
  const [besideBundle, inUserDir] = ownCaches.length > 0 ? ownCaches : [join(bundleDir, `main.cjs.${buildId}.cache`), undefined];
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

module_.exports.main(args).then((code) => {
  process.exitCode = code;
  refreshCache();
});
