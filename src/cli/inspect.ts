import { Command } from 'commander';
import { action, type SetExit } from './action.js';

export function inspectCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('inspect')
    .description('Show details of containers or images as JSON')
    .argument('<name...>')
    .action(action(signal, setExit, async (context, names) => {
      const { inspectObject } = await import('../container/inspect.js');
      const store = context.store();
      context.stdout.write(`${JSON.stringify(names.map((name) => inspectObject(store, name)), null, 2)}\n`);
    }));
}
