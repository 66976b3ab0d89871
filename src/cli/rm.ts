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
      await forEach(names, async (name) => {
        await removeContainer(context.store(), name, flags.force === true, { volumes: flags.volumes === true });
        context.stdout.write(`${name}\n`);
      });
    }));
}
