import { Command } from 'commander';
import { action, type SetExit } from './action.js';

export function killCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('kill')
    .description('Send a signal to running containers')
    .argument('<container...>')
    .option('-s, --signal <signal>', 'signal to send', 'SIGKILL')
    .action(action<{ signal: string }>(signal, setExit, async (context, names, flags) => {
      const { killContainer } = await import('../container/ops.js');
      for (const name of names) {
        await killContainer(context.store(), name, flags.signal);
        context.stdout.write(`${name}\n`);
      }
    }));
}
