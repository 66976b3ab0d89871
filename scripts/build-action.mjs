// Builds the GitHub Action's bundle, dist/ (committed: a runner runs it as it is, with no
// `npm install`). `npm run build:action` after `npm run build` (it takes the compiled
// schemas and the prebuilt seccomp filters from build/). `node scripts/build-action.mjs
// OUTDIR` builds elsewhere: test/unit/action-dist.test.ts compares that with dist/.
//
// Layout, mirroring build/ so that the library's paths next to its code
// (`new URL('../native/…', import.meta.url)`) find the same things:
//   main.js, post.js               the Action (ESM: @actions/core 3 and @actions/cache 6 are
//                                  ESM-only); their code thinks it lives in lib/action/
//   lib/rootfs/copy-worker.js,     the workers the library starts as separate processes
//   lib/container/cp-worker.js
//   lib/seccomp/default-*.bpf      the prebuilt default seccomp filters
//   lib/schemas/*.cjs              the compiled JSON schemas
//   lib/native/                    NOT committed: the C helpers, compiled at first use from
//   native-src/                    the C sources, the inflater's build script and build.sh
//                                  (the `cc` lines of package.json's build; src/action/native.ts)
//   bin/burrow.js                  the CLI, one CommonJS file (`sudo burrow setup`, the
//                                  clean-up a detached --rm container's monitor runs)
//   node_modules/koffi/            koffi's loader and its linux-x64 addon (a .node file
//                                  cannot be bundled; the library loads koffi by require)
// The output depends on the sources alone (no random banner, no absolute path, no time):
// a fresh build is byte for byte the committed one.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const OUT = resolve(process.argv[2] ?? join(REPO, 'dist'));
const at = (...parts) => join(REPO, ...parts);

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const common = {
  absWorkingDir: REPO,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Everything but koffi is bundled: a runner has no node_modules of ours.
  external: ['koffi'],
  // Licence comments of bundled packages go to FILE.LEGAL.txt beside each output.
  legalComments: 'external',
  logLevel: 'warning',
  charset: 'utf8',
};

// ESM output holding CommonJS packages (undici, tar…): their require() of Node's modules
// needs a real require. `__burrowModuleUrl` stands for import.meta.url in our modules:
// where the library would be in build/ (lib/action/), so `../native/` is lib/native/.
const esmBanner = (virtual) => [
  "import { createRequire as __burrowCreateRequire } from 'node:module';",
  'const require = __burrowCreateRequire(import.meta.url);',
  ...(virtual === undefined ? [] : [`const __burrowModuleUrl = new URL(${JSON.stringify(virtual)}, import.meta.url).href;`]),
].join('\n');

// The Action: two files, each whole (the library's lazy imports inlined), so a reader
// of dist/ sees what each step runs.
await build({
  ...common,
  entryPoints: { main: at('src/action/main.ts'), post: at('src/action/post.ts') },
  outdir: OUT,
  format: 'esm',
  define: { 'import.meta.url': '__burrowModuleUrl' },
  banner: { js: esmBanner('./lib/action/bundle.js') },
});

// The workers, each at its own place in lib/ (their import.meta.url is already right).
for (const worker of ['rootfs/copy-worker', 'container/cp-worker']) {
  await build({ ...common, entryPoints: [at(`src/${worker}.ts`)], outfile: join(OUT, 'lib', `${worker}.js`), format: 'esm', banner: { js: esmBanner(undefined) } });
}

// The CLI, CommonJS (bin/ has a package.json saying so), its modules placed in lib/cli/.
mkdirSync(join(OUT, 'bin'), { recursive: true });
writeFileSync(join(OUT, 'bin', 'package.json'), '{ "type": "commonjs" }\n');
await build({
  ...common,
  stdin: {
    contents: "import { main } from './src/cli/main.ts';\nmain(process.argv.slice(2)).then((code) => { process.exitCode = code; });\n",
    resolveDir: REPO,
    sourcefile: 'dist-cli.ts',
    loader: 'ts',
  },
  outfile: join(OUT, 'bin', 'burrow.js'),
  format: 'cjs',
  define: { 'import.meta.url': '__burrowModuleUrl' },
  banner: { js: "#!/usr/bin/env node\nconst __burrowModuleUrl = require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', 'lib', 'cli', 'main.js')).href;" },
});

writeFileSync(join(OUT, 'package.json'), '{ "type": "module", "private": true }\n');

// Data the library reads beside its code.
mkdirSync(join(OUT, 'lib', 'seccomp'), { recursive: true });
for (const name of readdirSync(at('build/seccomp')).filter((file) => file.endsWith('.bpf')).sort()) cpSync(at('build/seccomp', name), join(OUT, 'lib', 'seccomp', name));
mkdirSync(join(OUT, 'lib', 'schemas'), { recursive: true });
for (const name of readdirSync(at('build/schemas')).filter((file) => file.endsWith('.cjs') && !file.endsWith('.unbundled.cjs')).sort()) {
  cpSync(at('build/schemas', name), join(OUT, 'lib', 'schemas', name));
}

// koffi: its loader (one self-contained file) and the linux-x64 addon only.
const koffi = at('node_modules/koffi');
const koffiOut = join(OUT, 'node_modules', 'koffi');
mkdirSync(join(koffiOut, 'build', 'koffi', 'linux_x64'), { recursive: true });
const { version } = JSON.parse(readFileSync(join(koffi, 'package.json'), 'utf8'));
writeFileSync(join(koffiOut, 'package.json'), `${JSON.stringify({ name: 'koffi', version, main: './index.js', license: 'MIT' }, null, 2)}\n`);
for (const file of ['index.js', 'LICENSE.txt', 'build/koffi/linux_x64/koffi.node']) cpSync(join(koffi, file), join(koffiOut, file));

// The C helpers' sources and how to build them: package.json's build script's cc lines.
const src = join(OUT, 'native-src');
mkdirSync(join(src, 'native'), { recursive: true });
mkdirSync(join(src, 'scripts'), { recursive: true });
for (const name of readdirSync(at('native')).filter((file) => /\.[ch]$/.test(file)).sort()) cpSync(at('native', name), join(src, 'native', name));
cpSync(at('scripts/build-inflate.sh'), join(src, 'scripts', 'build-inflate.sh'));
const { scripts } = JSON.parse(readFileSync(at('package.json'), 'utf8'));
const compiles = scripts.build.split('&&').map((part) => part.trim()).filter((part) => /^cc .* native\/[\w-]+\.c$/.test(part));
if (compiles.length === 0) throw new Error('build-action: no `cc … native/NAME.c` in package.json\'s build script');
writeFileSync(join(src, 'build.sh'), [
  '#!/bin/sh',
  "# burrow's C helpers, compiled by the Action at first use (src/action/native.ts). Generated by",
  "# scripts/build-action.mjs from package.json's build script: edit that, not this.",
  'set -eu',
  'CC="${CC:-cc}"',
  'mkdir -p build/native',
  ...compiles.map((line) => line.replace(/^cc /, '"$CC" ')),
  'sh scripts/build-inflate.sh',
  '',
].join('\n'));
