import { Command } from 'commander';
import { action, type SetExit } from './action.js';

export function restartCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('restart')
    .description('Stop, then start containers')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait before SIGKILL (default: the container\'s --stop-timeout, else 10)')
    .action(action<{ time?: string }>(signal, setExit, async (context, names, flags) => {
      const { restartContainer } = await import('../container/lifecycle.js');
      const { parseStopTimeout } = await import('../container/specs.js');
      const timeoutSeconds = flags.time === undefined ? undefined : parseStopTimeout(flags.time);
      for (const name of names) {
        await restartContainer(context.store(), name, { timeoutSeconds });
        context.stdout.write(`${name}\n`);
      }
    }));
}
