import { Command } from 'commander';
import { action, type SetExit } from './action.js';

export function restartCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('restart')
    .description('Stop, then start containers')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait before SIGKILL (default: the container\'s --stop-timeout, else 10)')
    // Docker 23 renamed --time to --timeout (keeping both): scripts use either.
    .option('--timeout <seconds>', 'the same as --time (Docker 23\'s name for it)')
    .action(action<{ time?: string; timeout?: string }>(signal, setExit, async (context, names, flags) => {
      const { restartContainer } = await import('../container/lifecycle.js');
      const { parseStopTimeout } = await import('../container/specs.js');
      const timeoutSeconds = (flags.time ?? flags.timeout) === undefined ? undefined : parseStopTimeout((flags.time ?? flags.timeout)!);
      for (const name of names) {
        await restartContainer(context.store(), name, { timeoutSeconds });
        context.stdout.write(`${name}\n`);
      }
    }));
}
