import { Command } from 'commander';
import { action, type SetExit } from './action.js';
import { createOptions, withContainerOptions, type RunFlags } from './run.js';

/** `burrow create`: run's flags (src/cli/run.ts), without starting the container. */
export function createCommand(signal: AbortSignal, setExit: SetExit): Command {
  return withContainerOptions(new Command('create').description('Create a container without starting it'))
    .action(
      action<RunFlags>(signal, setExit, async (context, [image, ...command], flags) => {
        const { createContainer } = await import('../container/create.js');
        const record = await createContainer(context.store(), createOptions(image!, command, flags, context.signal, context.stderr));
        context.stdout.write(`${record.id}\n`);
      }),
    );
}
