import { mkdtempSync, mkdirSync, readdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
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

/** Runs the real CLI as a child process, the way users run it. */
export function burrow(box: Sandbox, args: string[], options: { input?: string; env?: Record<string, string>; timeout?: number } = {}): ResultPromise {
  return execa(process.execPath, [BURROW_BIN, ...args], {
    env: { ...process.env, ...box.env, ...options.env },
    extendEnv: false,
    reject: false,
    timeout: options.timeout ?? 60_000,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
  });
}

export async function run(box: Sandbox, args: string[], options: { input?: string; env?: Record<string, string>; timeout?: number } = {}): Promise<CliResult> {
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
