import { RUN_ENTRY, type CommandEntry } from './run-entry.js';

/**
 * What commands.ts is in the bundle of `run` alone (build/cli-bundle/run.cjs, which
 * bin/burrow.js loads for `burrow run`): run's entry and no other, so that bundle holds
 * run's modules only, half of everything: a warm `run` reads, deserializes and
 * evaluates that much less. The full bundle (main.cjs) has commands.ts itself.
 */
export const COMMANDS: CommandEntry[] = [RUN_ENTRY];
