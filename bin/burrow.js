#!/usr/bin/env node
'use strict';
// The CLI is one CommonJS bundle (build/cli-bundle/main.cjs), compiled here with a
// V8 code cache kept beside it: without the cache, parsing and compiling the
// bundle costs more than a container's namespaces and mounts together. A cache
// V8 rejects (another Node version) or that is missing is rewritten after the
// command, when the directory is writable; otherwise the bundle just compiles.
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');

const bundle = join(__dirname, '..', 'build', 'cli-bundle', 'main.cjs');
const cacheFile = `${bundle}.cache`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new Script(wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
const module_ = { exports: {} };
script.runInThisContext()(module_.exports, createRequire(bundle), module_, bundle, join(__dirname, '..', 'build', 'cli-bundle'));

function refreshCache() {
  if (cachedData !== undefined && !script.cachedDataRejected) return;
  try {
    const partial = `${cacheFile}.${process.pid}`;
    writeFileSync(partial, script.createCachedData());
    renameSync(partial, cacheFile);
  } catch {
    // A read-only install: every start compiles, a little slower.
  }
}

module_.exports.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  refreshCache();
});
