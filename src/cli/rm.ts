import { Command } from 'commander';
import { action, type SetExit } from './action.js';
import { forEach } from './each.js';

export function rmCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('rm')
    .description('Remove containers')
    .argument('<container...>')
    .option('-f, --force', 'kill a running container first')
    .option('-v, --volumes', 'remove the container\'s anonymous volumes (-v /path) too')
    .action(action<{ force?: boolean; volumes?: boolean }>(signal, setExit, async (context, names, flags) => {
      const { removeContainer } = await import('../container/ops.js');
      const { isBurrowError } = await import('../errors.js');
      await forEach(names, async (name) => {
        try {
          await removeContainer(context.store(), name, flags.force === true, { volumes: flags.volumes === true });
        } catch (error) {
          // Docker's rm -f: a container that is not there is already removed (cleanup scripts rely on it).
          if (flags.force === true && isBurrowError(error, 'NOT_FOUND')) return;
          throw error;
        }
        context.stdout.write(`${name}\n`);
      });
    }));
}
