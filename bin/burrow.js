#!/usr/bin/env node
'use strict';
// The CLI is a CommonJS bundle compiled here with a V8 code cache: without one,
// parsing and compiling the bundle costs more than a container's namespaces and
// mounts together. Two bundles hold the CLI (scripts/bundle.mjs): run.cjs, `burrow
// run` alone (half of the code, so half to read, deserialize and evaluate on the
// path every CI job takes), and main.cjs, every command. The build ships a cache of
// what help compiles in each; each command then keeps its own, written after its
// first use that is not help (beside the bundle, or in ~/.cache/burrow where the
// install is read-only), which holds the functions that command runs. A cache V8
// rejects (another Node version) is written anew the same way; where nothing is
// writable the bundle just compiles.
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { userInfo } = require('node:os');
const { isAbsolute, join } = require('node:path');
const { setFlagsFromString } = require('node:v8');
const { Script } = require('node:vm');

// No scavenge as an idle-time task: a start allocates a few MB and ends, and the task's
// scavenge (5-12 ms here, where touching fresh memory is slow) came while burrow waited
// for the sandbox, delaying its answer. Scavenges still run when the young space fills.
setFlagsFromString('--no-minor-gc-task');

const args = process.argv.slice(2);

/**
 * The command word, after the global options (--root DIR, --log-level LEVEL): the same
 * rule as cli/main.ts's commandWord, which decides what the bundle loads (a test holds
 * the two together), so that run.cjs is never given another command.
 */
function commandWord(argv) {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--root' || arg === '--log-level' || arg === '-l') i++;
    else if (!arg.startsWith('-')) return arg;
    else if (!arg.startsWith('--root=') && !arg.startsWith('--log-level=')) return undefined;
  }
  return undefined;
}
const word = commandWord(args);
const command = word !== undefined && /^[a-z]+$/.test(word) ? word : undefined;

const bundleDir = join(__dirname, '..', 'build', 'cli-bundle');
const bundle = join(bundleDir, command === 'run' && existsSync(join(bundleDir, 'run.cjs')) ? 'run.cjs' : 'main.cjs');
let source;
try {
  // Latin-1: the bundles are ASCII (scripts/bundle.mjs checks), so no UTF-8 decoding.
  source = readFileSync(bundle, 'latin1');
} catch (error) {
  process.stderr.write(`burrow: cannot read ${bundle} (${error.code ?? error.message}): build burrow first (npm ci && npm run build)\n`);
  process.exit(125);
}
// V8 checks a cache against its source's length only: the build id on each bundle's
// first line (one id for all of a build's), in every cache's name, keeps a cache from
// outliving its bundle.
const buildId = /^\/\/ burrow-bundle ([0-9a-f]+)/.exec(source)?.[1] ?? `size-${source.length}`;
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

const compiled = [];

/**
 * One script of the CLI (a bundle or a vendor bundle, scripts/bundle.mjs), compiled
 * with the first cache there is for it: this command's, then the build's general one.
 */
function compileCached(file, text) {
  const name = file.slice(bundleDir.length + 1);
  const inUserDir = name === 'main.cjs' ? `${buildId}.${command}.cache` : `${buildId}.${name}.${command}.cache`;
  const own = command === undefined ? [] : [join(bundleDir, `${name}.${buildId}.${command}.cache`), ...(userDir === undefined ? [] : [join(userDir, inUserDir)])];
  const general = join(bundleDir, `${name}.${buildId}.cache`);
  let used;
  let cachedData;
  for (const candidate of [...own, general]) {
    try {
      cachedData = readFileSync(candidate);
      used = candidate;
      break;
    } catch {
      // Not there: the next, more general one.
    }
  }
  const script = new Script(wrap(text), { filename: file, cachedData });
  compiled.push({ script, used, own, general });
  const module_ = { exports: {} };
  script.runInThisContext()(module_.exports, createRequire(file), module_, file, bundleDir);
  return module_.exports;
}

// The packages a few commands use (undici for a pull, execa for a credential helper or
// systemd-run), each bundled on its own: in the CLI's bundle they were two fifths of what
// every start read and compiled, and reading costs here (fresh memory is slow to touch).
// The bundle's imports of them come here (scripts/bundle.mjs: the vendor plugin).
const vendors = new Map();
globalThis[Symbol.for('burrow.vendor')] = (vendor) => {
  if (!vendors.has(vendor)) {
    const file = join(bundleDir, `vendor-${vendor}.cjs`);
    vendors.set(vendor, compileCached(file, readFileSync(file, 'latin1')));
  }
  return vendors.get(vendor);
};

const cli = compileCached(bundle, source);

function writeCache(file, data) {
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, data);
  renameSync(partial, file);
}

/**
 * Writes a script's cache where none fitted (or V8 rejected it): this command's, else
 * (no command word) the general one. Help writes only a missing general cache (the
 * build's `--help` and `run --help` make those).
 */
function refreshCache({ script, used, own, general }, helpOnly) {
  const fits = used !== undefined && !script.cachedDataRejected;
  if (helpOnly ? fits : fits && (own.length === 0 || own.includes(used))) return;
  const [besideBundle, inUserDir] = own.length > 0 && !helpOnly ? own : [general, undefined];
  const data = script.createCachedData();
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

cli.main(args).then((code) => {
  process.exitCode = code;
  // Help compiles little of a command: its cache would leave the command's real work uncompiled.
  const helpOnly = cli.showedHelpOnly();
  for (const script of compiled) refreshCache(script, helpOnly);
});
