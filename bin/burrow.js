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
const source = readFileSync(bundle, 'utf8');
// V8 checks a cache against its source's length only: the build id on the
// bundle's first line, in the cache's name, keeps a cache from outliving its bundle.
const buildId = /^\/\/ burrow-bundle ([0-9a-f]+)/.exec(source)?.[1] ?? `size-${source.length}`;
const cacheFile = `${bundle}.${buildId}.cache`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new Script(wrap(source), { filename: bundle, cachedData });
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
