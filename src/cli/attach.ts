import { Command } from 'commander';
import { action, type SetExit } from './action.js';

export function attachCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('attach')
    .description("Attach to a running container: its output, and its input when it was created with -i")
    .argument('<container>')
    .action(action(signal, setExit, async (context, [name]) => {
      const { attachContainer } = await import('../container/attach.js');
      return attachContainer(context.store(), name!, { signal: context.signal });
    }));
}
