import { Command } from 'commander';
import { action, type SetExit } from './action.js';

export function waitCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('wait')
    .description('Wait for containers to exit and print their exit statuses')
    .argument('<container...>')
    .action(action(signal, setExit, async (context, names) => {
      const { waitContainer } = await import('../container/ops.js');
      for (const name of names) context.stdout.write(`${await waitContainer(context.store(), name, context.signal)}\n`);
    }));
}
