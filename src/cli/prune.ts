import { Command } from 'commander';
import { action, type SetExit } from './action.js';

/** `burrow container prune`. */
export function pruneCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('prune').description('Remove all stopped containers').option('-f, --force', 'do not ask').action(action(signal, setExit, async (context) => {
    const { pruneContainers } = await import('../container/ops.js');
    const removed = await pruneContainers(context.store());
    context.stdout.write(removed.length > 0 ? `Deleted Containers:\n${removed.join('\n')}\n` : 'Deleted Containers: none\n');
  }));
}
