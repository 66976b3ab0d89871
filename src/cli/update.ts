import { Command } from 'commander';
import type { LimitFlags } from '../container/limits.js';
import { action, type SetExit } from './action.js';
import { limitsFromFlags, withLimitOptions } from './limits.js';

export function updateCommand(signal: AbortSignal, setExit: SetExit): Command {
  return withLimitOptions(new Command('update')
    .description('Change the resource limits of containers (at once where they run; kept for later starts)')
    .argument('<container...>'))
    .action(action<LimitFlags>(signal, setExit, async (context, names, flags) => {
      const { updateContainer } = await import('../container/update.js');
      const limits = limitsFromFlags(flags);
      for (const name of names) {
        await updateContainer(context.store(), name, limits, (note) => context.stderr.write(`${note}\n`));
        context.stdout.write(`${name}\n`);
      }
    }));
}
