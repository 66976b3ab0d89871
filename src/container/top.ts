import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { findContainer } from './record.js';
import { containerState } from './state.js';

export interface ProcessRow {
  pid: number;
  ppid: number;
  uid: number;
  state: string;
  command: string;
}

/** The host's processes that live in the container's pid namespace (`burrow top`). */
export function containerProcesses(store: Store, query: string): ProcessRow[] {
  const record = findContainer(store, query);
  const state = containerState(store, record);
  if (state.status !== 'running' || state.sandbox === undefined) throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is not running`);
  let namespace: string;
  try {
    namespace = readlinkSync(`/proc/${state.sandbox.pid}/ns/pid`);
  } catch {
    // It ended between the state read and this one.
    throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is not running`);
  }
  const rows: ProcessRow[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/pid`) !== namespace) continue;
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      rows.push({ pid: Number(entry), ppid: Number(field('PPid')), uid: Number(field('Uid').split(/\s+/)[0]), state: field('State').split(' ')[0] ?? '', command });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return rows;
}

/** `burrow top`'s answer, Docker's shape: the column titles and one row per process. */
export interface TopResult {
  titles: string[];
  processes: string[][];
}

/**
 * `burrow top CONTAINER [ps OPTIONS]`, as Docker's: the host's `ps` (procps) with
 * the options given (default `-ef`: UID PID PPID C STIME TTY TIME CMD), its rows
 * kept for the processes of the container's pid namespace. The options are ps's
 * own arguments, never a shell's: execFile, no shell.
 */
export function containerTop(store: Store, query: string, psOptions: readonly string[]): TopResult {
  const pids = new Set(containerProcesses(store, query).map((row) => String(row.pid)));
  let output: string;
  try {
    output = execFileSync('ps', psOptions.length === 0 ? ['-ef'] : [...psOptions], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim().split('\n')[0];
    throw new BurrowError('INVALID_ARGUMENT', `ps ${psOptions.join(' ')} failed: ${stderr || (error as Error).message}`);
  }
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidColumn = titles.indexOf('PID');
  if (pidColumn < 0) throw new BurrowError('INVALID_ARGUMENT', `couldn't find PID field in ps output: give ps options that show it (such as -ef, aux or -o pid,comm)`);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (!pids.has(fields[pidColumn] ?? '')) continue;
    // The last column (the command) keeps its spaces.
    processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
  }
  return { titles, processes };
}
