import { Command } from 'commander';
import { action, type SetExit } from './action.js';

export function renameCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('rename')
    .description('Rename a container')
    .argument('<container>')
    .argument('<new-name>')
    .action(action(signal, setExit, async (context, [name, newName]) => {
      const { renameContainer } = await import('../container/ops.js');
      await renameContainer(context.store(), name!, newName!);
    }));
}
