import { copyFileSync, mkdtempSync, mkdirSync, readdirSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { execa, type ResultPromise } from 'execa';
import { until } from './poll.js';

export const BURROW_BIN = fileURLToPath(new URL('../../bin/burrow.js', import.meta.url));

export interface Sandbox {
  dir: string;
  root: string;
  home: string;
  env: Record<string, string>;
}

/** A private store, HOME (for ~/.docker/config.json) and burrow config per test. */
export function sandbox(options: { root?: string; config?: object; env?: Record<string, string> } = {}): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'burrow-test-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  const root = options.root ?? join(dir, 'store');
  const configPath = join(dir, 'burrow-config.json');
  writeFileSync(configPath, JSON.stringify(options.config ?? {}));
  return {
    dir,
    root,
    home,
    env: { HOME: home, BURROW_ROOT: root, BURROW_CONFIG: configPath, DOCKER_CONFIG: join(home, '.docker'), ...options.env },
  };
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  input?: string;
  env?: Record<string, string>;
  timeout?: number;
  /** Another install's bin/burrow.js (installWithHelpers). */
  bin?: string;
}

/** Runs the real CLI as a child process, the way users run it. */
export function burrow(box: Sandbox, args: string[], options: CliOptions = {}): ResultPromise {
  return execa(process.execPath, [options.bin ?? BURROW_BIN, ...args], {
    env: { ...process.env, ...box.env, ...options.env },
    extendEnv: false,
    reject: false,
    timeout: options.timeout ?? 60_000,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
  });
}

export async function run(box: Sandbox, args: string[], options: CliOptions = {}): Promise<CliResult> {
  const result = await burrow(box, args, options);
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Everything a test compares to say "the store is as it was". */
export function storeSnapshot(root: string): { index: string; blobs: string[]; tmp: string[] } {
  const blobsDir = join(root, 'blobs', 'sha256');
  return {
    index: existsSync(join(root, 'index.json')) ? readFileSync(join(root, 'index.json'), 'utf8') : '',
    blobs: existsSync(blobsDir) ? readdirSync(blobsDir).sort() : [],
    tmp: existsSync(join(root, 'tmp')) ? readdirSync(join(root, 'tmp')).sort() : [],
  };
}

/** Removes every container of the sandbox: a failed test must not leave jobs running past the suite. */
export async function removeAllContainers(box: Sandbox): Promise<void> {
  const ids = (await run(box, ['ps', '-a', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await run(box, ['rm', '-f', ...ids]);
}

/**
 * A key typed into the terminal of `inTerminal`: once `afterOutput` has appeared
 * on it (after what the previous key waited for), or after `afterMs`. Prefer a
 * marker the job prints when it is ready: a delay is a guess about timing.
 */
export type TerminalKey = { afterOutput: string; text: string } | { afterMs: number; text: string };

/**
 * Runs shell lines under a real pseudo-terminal (util-linux `script`) and types
 * `keys` into it, each when its turn comes: for -t and -it, which need a
 * terminal. Returns what the terminal showed, without carriage returns.
 */
export async function inTerminal(box: Sandbox, lines: string[], keys: TerminalKey[]): Promise<string> {
  const script = join(box.dir, `terminal-${Date.now()}.sh`);
  writeFileSync(script, lines.join('\n'));
  let shown = '';
  const typed = async function* (): AsyncGenerator<string> {
    let from = 0;
    for (const key of keys) {
      if ('afterMs' in key) await new Promise((resolve) => setTimeout(resolve, key.afterMs));
      else {
        await until(() => shown.indexOf(key.afterOutput, from) >= 0, 30_000, `"${key.afterOutput}" on the terminal`);
        from = shown.indexOf(key.afterOutput, from) + key.afterOutput.length;
      }
      yield key.text;
    }
  };
  const child = execa('script', ['-qfec', `sh ${script}`, '/dev/null'], { env: { ...process.env, ...box.env }, input: Readable.from(typed()), reject: false, timeout: 30_000 });
  child.stdout!.on('data', (chunk: Buffer) => { shown += chunk.toString(); });
  const result = await child;
  return String(result.stdout).replaceAll('\r', '');
}

/** One line, naming the problem: the error contract of every command. */
export function expectOneLineError(result: CliResult): string {
  const lines = result.stderr.trim().split('\n');
  if (result.exitCode === 0) throw new Error(`expected a failure, got exit 0; stdout: ${result.stdout}`);
  if (lines.length !== 1 || !lines[0]!.startsWith('burrow: ')) throw new Error(`expected one "burrow: …" line on stderr, got:\n${result.stderr}`);
  return lines[0]!;
}

/** A listing's `--format json`: Docker's one object a line (the fields a template sees), as an array. */
export function jsonLines<Row>(stdout: string): Row[] {
  return stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Row);
}

/**
 * An install of this build in `dir` whose C helpers named in `scripts` are those shell
 * scripts instead (simulated helpers: a kernel that refuses what ours would ask of it);
 * everything else is linked to the build. Returns its bin/burrow.js, for run's `bin`.
 */
export function installWithHelpers(dir: string, scripts: Record<string, string>): string {
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'build'), { recursive: true });
  for (const file of ['burrow.js', 'package.json']) copyFileSync(join(repo, 'bin', file), join(dir, 'bin', file));
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  for (const entry of readdirSync(join(repo, 'build'))) {
    if (entry === 'native' || entry === 'cli-bundle') continue;
    symlinkSync(join(repo, 'build', entry), join(dir, 'build', entry));
  }
  // The bundles find the helpers beside themselves (build/cli-bundle/../native): linked, not copied, as a script is named by the path it is run from.
  for (const sub of ['native', 'cli-bundle']) {
    mkdirSync(join(dir, 'build', sub), { recursive: true });
    for (const file of readdirSync(join(repo, 'build', sub)).filter((name) => !name.endsWith('.cache'))) {
      if (sub === 'native' && scripts[file] !== undefined) writeFileSync(join(dir, 'build', sub, file), scripts[file], { mode: 0o755 });
      else symlinkSync(join(repo, 'build', sub, file), join(dir, 'build', sub, file));
    }
  }
  return join(dir, 'bin', 'burrow.js');
}
