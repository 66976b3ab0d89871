import { Command } from 'commander';
import { action, type SetExit } from './action.js';
import { forEach } from './each.js';

export function stopCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('stop')
    .description('Stop running containers (StopSignal, then SIGKILL after the timeout)')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait before SIGKILL (default: the container\'s --stop-timeout, else 10)')
    // Docker 23 renamed --time to --timeout (keeping both): scripts use either.
    .option('--timeout <seconds>', 'the same as --time (Docker 23\'s name for it)')
    .action(action<{ time?: string; timeout?: string }>(signal, setExit, async (context, names, flags) => {
      const { stopContainer } = await import('../container/ops.js');
      const { parseStopTimeout } = await import('../container/specs.js');
      const seconds = (flags.time ?? flags.timeout) === undefined ? undefined : parseStopTimeout((flags.time ?? flags.timeout)!);
      // In parallel, as Docker: fifty containers that ignore SIGTERM take one timeout, not fifty.
      await forEach(names, async (name) => {
        await stopContainer(context.store(), name, seconds);
        context.stdout.write(`${name}\n`);
      });
    }));
}
