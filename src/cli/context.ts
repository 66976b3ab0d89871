import type { Command } from 'commander';
import { loadConfig, type BurrowConfig } from '../config/config.js';
import { defaultStoreRoot } from '../store/layout.js';
import { Store } from '../store/store.js';

export interface GlobalOptions {
  root?: string;
}

/** What every command needs: the store, the config, and a signal that Ctrl-C fires. */
export interface CommandContext {
  store(): Store;
  config(): BurrowConfig;
  signal: AbortSignal;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export function contextFor(command: Command, signal: AbortSignal): CommandContext {
  const globals = command.optsWithGlobals<GlobalOptions>();
  let store: Store | undefined;
  let config: BurrowConfig | undefined;
  return {
    store: () => (store ??= new Store(globals.root ?? defaultStoreRoot())),
    config: () => (config ??= loadConfig()),
    signal,
    stdout: process.stdout,
    stderr: process.stderr,
  };
}
