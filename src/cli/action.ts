import type { Command } from 'commander';
import { contextFor, type CommandContext } from './context.js';

export type CommandAction<Options> = (context: CommandContext, args: string[], options: Options) => Promise<number | void>;

/** Wires a command body to commander, handing it the shared context; its return value is the exit status. */
export function action<Options extends object = Record<string, unknown>>(signal: AbortSignal, setExit: (code: number) => void, body: CommandAction<Options>) {
  return async (...received: unknown[]): Promise<void> => {
    const command = received[received.length - 1] as Command;
    const code = await body(contextFor(command, signal), command.args, command.opts() as Options);
    setExit(typeof code === 'number' ? code : 0);
  };
}

/** Where a command leaves its exit status for main(). */
export type SetExit = (code: number) => void;
