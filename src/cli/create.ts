import { Command } from 'commander';
import { action, type SetExit } from './action.js';
import { cidFileWriter, createOptions, withContainerOptions, type RunFlags } from './run.js';

/** `burrow create`: run's flags (src/cli/run.ts), without starting the container. */
export function createCommand(signal: AbortSignal, setExit: SetExit): Command {
  return withContainerOptions(new Command('create').description('Create a container without starting it'))
    .action(
      action<RunFlags>(signal, setExit, async (context, [image, ...command], flags) => {
        const options = createOptions(image!, command, flags, context.signal, context.stderr);
        const writeCidFile = cidFileWriter(flags.cidfile);
        const { createContainer } = await import('../container/create.js');
        const record = await createContainer(context.store(), options);
        if (writeCidFile !== undefined) {
          try {
            writeCidFile(record);
          } catch (error) {
            const { removeContainer } = await import('../container/ops.js');
            await removeContainer(context.store(), record.id, true, { volumes: true });
            throw error;
          }
        }
        context.stdout.write(`${record.id}\n`);
      }),
    );
}
