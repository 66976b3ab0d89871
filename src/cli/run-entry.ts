import type { Command } from 'commander';
import type { SetExit } from './action.js';

/** A top-level command: its names, and the loader of the module that defines it. */
export interface CommandEntry {
  names: string[];
  load: (signal: AbortSignal, setExit: SetExit) => Promise<Command[]>;
}

/** `run`'s entry, in a module of its own: the bundle of `run` alone (commands-run.ts) has it and no other. */
export const RUN_ENTRY: CommandEntry = { names: ['run'], load: async (signal, setExit) => [(await import('./run.js')).runCommand(signal, setExit)] };
