import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';
import { BURROW_BIN, expectOneLineError, installWithHelpers, run, sandbox } from '../helpers/cli.js';

const REPO = dirname(dirname(BURROW_BIN));
const BUNDLE_DIR = join(REPO, 'build', 'cli-bundle');

/** An install of this build in a directory of the test's own (test/helpers/cli.ts), whose code caches the test controls. */
function installCopy(): { root: string; cacheDir: string; cli: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'burrow-cli-'));
  const bin = installWithHelpers(root, {});
  return { root, cacheDir: join(root, 'build', 'cli-bundle'), cli: [bin] };
}

/** The install's CLI, run with `env`: each call must exit 0, and gives its stdout. */
function succeeding(copy: { cli: string[] }, env: Record<string, string | undefined>): (...args: string[]) => Promise<string> {
  return async (...args) => {
    const result = await execa(process.execPath, copy.cli.concat(args), { env, reject: false });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    return String(result.stdout);
  };
}

/** A module-load hook: each file module Node loads, appended to the file it is given. */
const TRACE_HOOKS = `import { appendFileSync } from 'node:fs';
let trace;
export async function initialize(data) { trace = data.trace; }
export async function load(url, context, next) { if (url.startsWith('file:')) appendFileSync(trace, url + '\\n'); return next(url, context); }`;

/**
 * The command modules (build/cli/*.js, what the bundle is made of) that one invocation
 * evaluates: the CLI's main run unbundled under a module-load hook, so the trace
 * shows each module as Node loads it.
 */
async function commandModulesLoaded(dir: string, env: Record<string, string>, args: string[]): Promise<string[]> {
  const trace = join(dir, `modules-${args.join('-').replace(/[^a-z]/g, '')}.txt`);
  writeFileSync(trace, '');
  const hook = join(dir, 'trace-hook.mjs');
  writeFileSync(hook, `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(TRACE_HOOKS)}`)}, { data: { trace: ${JSON.stringify(trace)} } });\n`);
  const main = pathToFileURL(join(REPO, 'build', 'cli', 'main.js')).href;
  const result = await execa(process.execPath, ['--import', pathToFileURL(hook).href, '--input-type=module', '-e', `const { main } = await import(${JSON.stringify(main)}); process.exitCode = await main(${JSON.stringify(args)});`], { env: { ...process.env, ...env }, extendEnv: false, reject: false });
  expect(result.exitCode, String(result.stderr)).toBe(0);
  const cli = join(REPO, 'build', 'cli');
  return readFileSync(trace, 'utf8').split('\n').filter((url) => url.startsWith('file:')).map((url) => fileURLToPath(url)).filter((path) => dirname(path) === cli).map((path) => basename(path));
}

const caches = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.cache'));

describe('the CLI entry point', () => {
  it('ships a code cache named after its bundle build', () => {
    const buildId = /^\/\/ burrow-bundle ([0-9a-f]+)/.exec(readFileSync(join(BUNDLE_DIR, 'main.cjs'), 'utf8'))?.[1];
    expect(buildId).toMatch(/^[0-9a-f]{16}$/);
    expect(caches(BUNDLE_DIR)).toContain(`main.cjs.${buildId}.cache`);
    expect(caches(BUNDLE_DIR)).toContain(`run.cjs.${buildId}.cache`);
    expect(readFileSync(join(BUNDLE_DIR, 'run.cjs'), 'latin1').startsWith(`// burrow-bundle ${buildId}\n`)).toBe(true);
  });

  it('writes a missing cache, replaces one V8 rejects, and runs without one where it cannot write', async () => {
    const copy = installCopy();
    const version = async (): Promise<string> => (await execa(process.execPath, copy.cli.concat('--version'))).stdout;
    expect(await version()).toBe('0.1.0');
    const [written] = caches(copy.cacheDir);
    expect(written).toMatch(/^main\.cjs\.[0-9a-f]{16}\.cache$/);
    const cachePath = join(copy.cacheDir, written!);
    expect(readFileSync(cachePath).length).toBeGreaterThan(10_000);

    writeFileSync(cachePath, Buffer.alloc(4096, 7));
    expect(await version()).toBe('0.1.0');
    expect(readFileSync(cachePath).equals(Buffer.alloc(4096, 7))).toBe(false);

    writeFileSync(cachePath, Buffer.alloc(4096, 7));
    chmodSync(copy.cacheDir, 0o555);
    try {
      expect(await version()).toBe('0.1.0');
      expect(readFileSync(cachePath).equals(Buffer.alloc(4096, 7))).toBe(true);
    } finally {
      chmodSync(copy.cacheDir, 0o755);
    }
  });

  it('keeps a cache per command, in ~/.cache/burrow when the install is read-only, and only for the current build', async () => {
    const copy = installCopy();
    const box = sandbox();
    const cli = succeeding(copy, { ...process.env, ...box.env, XDG_CACHE_HOME: join(box.dir, 'cache') });
    await cli('ps', '-q');
    expect(caches(copy.cacheDir).filter((name) => name.endsWith('.ps.cache'))).toHaveLength(1);

    chmodSync(copy.cacheDir, 0o555);
    try {
      const userCaches = join(box.dir, 'cache', 'burrow', 'code-cache');
      mkdirSync(userCaches, { recursive: true });
      writeFileSync(join(userCaches, '0000000000000000.images.cache'), 'from an older build');
      await cli('--root', join(box.dir, 'other'), 'images', '-q');
      expect(readdirSync(userCaches)).toEqual([expect.stringMatching(/^[0-9a-f]{16}\.images\.cache$/)]);
      expect(readdirSync(userCaches)[0]).not.toMatch(/^0{16}/);
      await cli('images', '-q');
    } finally {
      chmodSync(copy.cacheDir, 0o755);
    }
  });

  it('keeps undici and execa out of the bundle every start reads, and compiles them, with caches of their own, for the commands that use them', async () => {
    const main = readFileSync(join(BUNDLE_DIR, 'main.cjs'), 'latin1');
    // Class names only these packages define (an undici error, execa's error).
    expect(/ClientDestroyedError|ExecaError/.test(main)).toBe(false);
    expect(readFileSync(join(BUNDLE_DIR, 'vendor-undici.cjs'), 'latin1').includes('ClientDestroyedError')).toBe(true);
    expect(readFileSync(join(BUNDLE_DIR, 'vendor-execa.cjs'), 'latin1').includes('ExecaError')).toBe(true);
    const copy = installCopy();
    const box = sandbox();
    const cli = succeeding(copy, { ...process.env, ...box.env });
    await cli('images', '-q');
    expect(caches(copy.cacheDir).filter((name) => name.startsWith('vendor-'))).toEqual([]);
    await cli('pull', '-q', `${bed().registries.anon}/busybox:latest`);
    expect(caches(copy.cacheDir).filter((name) => name.startsWith('vendor-'))).toEqual([expect.stringMatching(/^vendor-undici\.cjs\.[0-9a-f]{16}\.pull\.cache$/)]);
    // The second pull compiles undici from that cache and still pulls.
    await cli('rmi', `${bed().registries.anon}/busybox:latest`);
    expect(await cli('pull', '-q', `${bed().registries.anon}/busybox:latest`)).toContain('busybox');
  });

  it('runs `burrow run` from a bundle of run alone, picked by the rule that decides what loads, with a cache from a real run rather than help', async () => {
    const main = readFileSync(join(BUNDLE_DIR, 'main.cjs'), 'latin1');
    const runOnly = readFileSync(join(BUNDLE_DIR, 'run.cjs'), 'latin1');
    expect(runOnly.length).toBeLessThan(main.length * 0.7);
    // Other commands' definitions are not in it (their descriptions are strings in the code).
    expect(main.includes('Manage named volumes')).toBe(true);
    expect(runOnly.includes('Manage named volumes')).toBe(false);
    // bin/burrow.js's commandWord is cli/main.ts's, rule for rule.
    const binSource = readFileSync(BURROW_BIN, 'utf8');
    const binRule = /^function commandWord\(argv\) \{[\s\S]*?^\}$/m.exec(binSource)?.[0];
    expect(binRule).toBeDefined();
    const binWord = new Function(`${binRule}; return commandWord;`)() as (argv: string[]) => string | undefined;
    const { commandWord } = await import('../../src/cli/main.js');
    for (const argv of [['run', 'x'], ['--root', 'run', 'ps'], ['--root=/r', 'run'], ['-l', 'run', 'ps'], ['--log-level=debug', 'run'], ['--log-level', 'debug', 'run'], ['--help', 'run'], ['-v'], [], ['ps', 'run']]) {
      expect(binWord(argv), argv.join(' ')).toBe(commandWord(argv));
    }
    const copy = installCopy();
    const box = sandbox();
    const cli = succeeding(copy, { ...process.env, ...box.env });
    const ownCaches = (): string[] => caches(copy.cacheDir).filter((name) => /\.[a-z]+\.cache$/.test(name) && !name.startsWith('vendor-'));
    await cli('pull', '-q', `${bed().registries.anon}/busybox:latest`);
    await cli('run', '--help');
    expect(ownCaches()).toEqual([expect.stringMatching(/^main\.cjs\.[0-9a-f]{16}\.pull\.cache$/)]);
    // run's -h is --hostname, and a --help in the container's command is the job's: neither is help.
    await cli('--log-level', 'error', 'run', '-h', 'cached', '--rm', '--network', 'none', `${bed().registries.anon}/busybox:latest`, 'sh', '-c', 'true --help');
    expect(ownCaches().sort()).toEqual([expect.stringMatching(/^main\.cjs\.[0-9a-f]{16}\.pull\.cache$/), expect.stringMatching(/^run\.cjs\.[0-9a-f]{16}\.run\.cache$/)]);
  });

  it('says in one line what to do when the bundle was never built', async () => {
    const copy = installCopy();
    rmSync(copy.cacheDir, { recursive: true });
    const result = await execa(process.execPath, copy.cli.concat('--version'), { reject: false });
    expect(result.exitCode).toBe(125);
    expect(String(result.stderr)).toMatch(/^burrow: cannot read .*main\.cjs \(ENOENT\): build burrow first \(npm ci && npm run build\)$/);
  });

  it('loads only the command asked for, yet help and suggestions know every command', async () => {
    const box = sandbox();
    const help = await run(box, ['--help']);
    for (const command of ['run', 'create', 'ps', 'exec', 'container', 'volume', 'pull', 'images', 'tag', 'load', 'save', 'login', 'system', 'image']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    expect(expectOneLineError(await run(box, ['imagse']))).toMatch(/unknown command 'imagse' \(Did you mean one of image, images\?\)$/);
    for (const args of [['--root', join(box.dir, 'other'), 'images', '-q'], [`--root=${join(box.dir, 'other')}`, 'ps', '-q']]) {
      const result = await run(box, args);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toBe('');
    }
    expect(readdirSync(join(box.dir, 'other'))).toContain('oci-layout');
    // Loading, traced: `images` evaluates its own module and none of the others' …
    const others = ['run.js', 'create.js', 'exec.js', 'pull.js', 'archive.js', 'system.js', 'volume.js', 'network.js', 'job.js', 'doctor.js', 'setup.js', 'prune.js'];
    const forImages = await commandModulesLoaded(box.dir, box.env, ['--root', join(box.dir, 'other'), 'images', '-q']);
    expect(forImages).toContain('main.js');
    expect(forImages).toContain('images.js');
    expect(forImages.filter((name) => others.includes(name))).toEqual([]);
    // … while help loads them all (so the trace does see a command module when one loads).
    const forHelp = await commandModulesLoaded(box.dir, box.env, ['--help']);
    expect(others.filter((name) => !forHelp.includes(name))).toEqual([]);
  });
});
