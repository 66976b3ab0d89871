import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

/**
 * Child processes on `burrow run`'s start path. execa is the project's choice for
 * child processes, but it costs ~80 ms to load, more than all of a container's
 * namespaces, mounts and exec together; here node:child_process is enough.
 */
export interface Finished {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The spawn itself failed (ENOENT: not installed). */
  error?: NodeJS.ErrnoException;
}

export function start(command: string, args: readonly string[], stdio: StdioOptions = ['ignore', 'pipe', 'pipe']): { child: ChildProcess; finished: Promise<Finished> } {
  const child = spawn(command, args, { stdio });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const finished = new Promise<Finished>((resolve) => {
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ exitCode: null, signal: null, stdout, stderr, error }));
    child.on('close', (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr }));
  });
  return { child, finished };
}

export function runToEnd(command: string, args: readonly string[]): Promise<Finished> {
  return start(command, args).finished;
}
