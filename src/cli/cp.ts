import { Command } from 'commander';
import { action, type SetExit } from './action.js';

export function cpCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('cp')
    .description('Copy files between a container and the host (CONTAINER:PATH on one side)')
    .argument('<source>')
    .argument('<destination>')
    .action(action(signal, setExit, async (context, [source, destination]) => {
      const { copy } = await import('../container/cp.js');
      await copy(context.store(), source!, destination!, { signal: context.signal });
    }));
}
